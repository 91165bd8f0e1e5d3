import type { BuildOptions } from 'esbuild';

export declare const BUNDLE_EXTERNAL: string[];
export declare const BUNDLE_OPTIONS: BuildOptions;
