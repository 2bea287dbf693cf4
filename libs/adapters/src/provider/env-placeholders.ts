import type { ErrorDetail } from '@itinera/core';

const PLACEHOLDER = /\$\{env:([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expand `${env:NAME}` in an endpoint address from the env map the operator exposed
 * (ITINERA_ENV_FACTS), never from the whole process environment: a rules policy
 * must not be able to read secrets the operator did not expose.
 */
export function expandEnvPlaceholders(text: string, env: Record<string, string>, pointer: string): { value: string; errors: ErrorDetail[] } {
  const errors: ErrorDetail[] = [];
  const value = text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!ENV_NAME.test(name)) {
      errors.push({ pointer, message: `malformed placeholder "${whole}": expected \${env:NAME} with NAME made of letters, digits and _` });
      return whole;
    }
    if (!Object.prototype.hasOwnProperty.call(env, name)) {
      errors.push({
        pointer,
        message: `address uses \${env:${name}} but ${name} is not an exposed environment variable; set it and list it in ITINERA_ENV_FACTS`,
      });
      return whole;
    }
    return env[name];
  });
  return { value, errors };
}
