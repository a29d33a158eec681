export { diagnoseProvider, discoveryUrl, DOCTOR_TIMEOUT_MS } from './diagnose.ts';
export type { DiagnoseOptions } from './diagnose.ts';
export type { CheckId, DoctorCheck, DoctorReport, Verdict } from './report.ts';
