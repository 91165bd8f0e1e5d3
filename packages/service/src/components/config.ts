/** Live config from the centre, and the authenticator that follows the `auth` section. */
import type { TObject } from 'typebox';
import { Authenticator } from '@flotilla/auth';
import { authSettingsProblems } from '@flotilla/auth';
import { attachConfigReload } from '@flotilla/config';
import { ConfigError } from '@flotilla/config';
import type { BaseProperties } from '../config-schema.ts';
import { type Component, component } from '../lifecycle.ts';
import { type Assembly, made } from './assembly.ts';

export function configReloadComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Component {
  return component('config reload', {
    start: async () => {
      a.reload = await attachConfigReload({ centre: a.loaded, logger: a.logger });
    },
    stop: () => a.reload?.close(),
  });
}

/**
 * One authenticator per process, following `auth` live: the routes' admission
 * and the service's own code (the gateway's) share its verified tokens and
 * its JWKS cache.
 */
export function authenticatorComponent<S extends TObject<BaseProperties>, Deps>(a: Assembly<S, Deps>): Component {
  const unsubscribes: Array<() => void> = [];
  return component('authenticator', {
    start: () => {
      const reload = made(a.reload, 'config reload');
      const authenticator = new Authenticator(a.config.auth, { logger: a.logger });
      a.authenticator = authenticator;
      unsubscribes.push(
        reload.validate((candidate) => {
          const problems = authSettingsProblems(candidate.auth);
          if (problems.length > 0)
            throw new ConfigError(
              a.definition.name,
              'auth',
              problems.map((p) => ({ ...p, key: `auth.${p.key}` })),
            );
        }),
        reload.onChange('auth', () => authenticator.update(reload.current().auth)),
      );
    },
    stop: () => {
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
    },
  });
}
