import http from 'node:http';

export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON when it is JSON, else the text. */
  body: unknown;
}

export interface TestRequest {
  method?: string;
  /** Header fields in order; a name may repeat (fetch would merge repeats into one field). */
  headers?: [string, string][];
  body?: string;
}

/** One HTTP request on a fresh connection (no keep-alive, so servers close promptly). */
export function request(url: string, options: TestRequest = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        // Given as raw pairs, headers get no automatic Host: add it (HTTP/1.1 requires it).
        headers: [
          ['Host', new URL(url).host],
          ...(options.body === undefined
            ? []
            : [['Content-Length', String(Buffer.byteLength(options.body))]]),
          ...(options.headers ?? []),
        ].flat(),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = (res.headers['content-type'] ?? '').includes('application/json');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: isJson ? JSON.parse(text) : text,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `Authorization: Bearer <token>`. */
export function bearer(token: string): [string, string][] {
  return [['Authorization', `Bearer ${token}`]];
}
