/**
 * Where fault injection may run. Configured faults run in every namespace
 * but `prod`; the `x-flotilla-fault` header is honoured in `dev` unless
 * `headerEnabled: false`, elsewhere only with `headerEnabled: true`. In `prod`
 * nothing runs unless `allowInProd: true` says so explicitly.
 */
export interface FaultPermissionSettings {
  headerEnabled?: boolean | undefined;
  allowInProd?: boolean | undefined;
}

export interface FaultPermission {
  /** Configured (percentage) faults may be applied. */
  rules: boolean;
  /** The `x-flotilla-fault` header may be honoured. */
  header: boolean;
  /** Why something is off, for logs and the admin snapshot. */
  reason: string;
}

export const PROD_NAMESPACE = 'prod';

export function faultInjectionAllowed(namespace: string, settings: FaultPermissionSettings = {}): FaultPermission {
  if (namespace === PROD_NAMESPACE && settings.allowInProd !== true) {
    return {
      rules: false,
      header: false,
      reason: 'fault injection is refused in the prod namespace unless faults.allowInProd is true',
    };
  }
  const header = settings.headerEnabled ?? namespace === 'dev';
  const reason = header
    ? `fault injection allowed in ${namespace}, also on demand by the x-flotilla-fault header`
    : `fault injection allowed in ${namespace} from config only; the x-flotilla-fault header is ignored (faults.headerEnabled is ${settings.headerEnabled === false ? 'false' : 'unset'})`;
  return { rules: true, header, reason };
}
