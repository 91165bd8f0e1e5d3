import type { BuildOptions, Plugin } from 'esbuild';

export declare const BUNDLE_EXTERNAL: string[];
export declare function matchesExternal(specifier: string, externals?: string[]): boolean;
export declare function requireExternals(externals?: string[]): Plugin;
export declare function asciiComments(): Plugin;
export declare const BUNDLE_BANNER: string;
export declare const BUNDLE_OPTIONS: BuildOptions;
