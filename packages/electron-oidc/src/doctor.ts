/**
 * `electron-oidc/doctor`: checks that a provider and client work for a
 * desktop app, without signing in (what `electron-oidc doctor` prints).
 */
export { diagnoseProvider } from './core/doctor/index.ts';
export type { CheckId, DiagnoseOptions, DoctorCheck, DoctorReport, Verdict } from './core/doctor/index.ts';
