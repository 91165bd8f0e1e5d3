// Preloaded (NODE_OPTIONS=--import) into the `reusePort` side only: every listen
// given an options object binds with SO_REUSEPORT (Node ≥ 22.12 / 23.1), so two
// independent processes share the HTTP and gRPC ports and the kernel spreads
// connections over them. The kit never does this itself (see README.md).
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenSharingThePort(...args) {
  const [first] = args;
  if (typeof first === 'object' && first !== null && !Array.isArray(first) && ('port' in first || 'host' in first)) {
    args[0] = { ...first, reusePort: true };
  }
  return listen.apply(this, args);
};
