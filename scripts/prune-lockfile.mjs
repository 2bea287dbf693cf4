// The package registry this project installs from lacks some platform-specific
// optional builds (e.g. msgpackr-extract for darwin/win32). npm leaves them out of
// package-lock.json but keeps their names in the parent's optionalDependencies, and
// `npm ci` then refuses the lock as out of sync. Drop those dangling names.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
if (existsSync(file)) {
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  const pkgs = lock.packages ?? {};
  let pruned = 0;
  for (const [path, meta] of Object.entries(pkgs)) {
    const opt = meta.optionalDependencies;
    if (!opt) continue;
    for (const name of Object.keys(opt)) {
      const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
      if (!(nested in pkgs) && !(`node_modules/${name}` in pkgs)) {
        delete opt[name];
        pruned++;
      }
    }
  }
  if (pruned) writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
}
