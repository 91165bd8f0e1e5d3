/**
 * The Node flags a service runs with in its image: the image's NODE_OPTIONS
 * and the V8 flags its executable carries. Benchmarks that run the bundles
 * pass these, so that memory is measured as deployed (`npm start` keeps
 * Node's defaults).
 */
import { NODE_HEAP_OPTIONS } from '../../scripts/images/images.ts';
import { SERVICE_V8_FLAGS } from '../../scripts/sea/v8-flags.ts';

export const PRODUCTION_NODE_FLAGS = [NODE_HEAP_OPTIONS, ...SERVICE_V8_FLAGS].join(' ');
