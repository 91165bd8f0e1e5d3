// Only the discovery suites import from here (they have not moved under test/integration yet).
export { clientFor as adminClient, createNamespace, deleteNamespace, kubeconfigOrSkipReason } from '@flotilla/testing';
export { privateControlPlane, type ControlPlane } from '../../../../scripts/test-services/kube.ts';
