// @flotilla/kube: a small Kubernetes API client (kubeconfig or in-cluster connection,
// JSON requests, watches) and client-go style reflectors, informers and indexed caches.
export * from './cache.ts';
export * from './client.ts';
export * from './connection.ts';
export * from './errors.ts';
export * from './informer.ts';
export * from './logger.ts';
export * from './objects.ts';
export * from './reflector.ts';
export * from './resources.ts';
export * from './transform.ts';
