/**
 * The code inserted by "Insert import": binds the build's public names, exactly what the panel's Import
 * does in the kernel, so `square(12)` works after either (even when the alias is also a function's name).
 * `team`: the team pin, even when a personal pin has the same alias.
 */
export function importCode(alias: string, team = false): string {
  const scope = team ? ', team=True' : '';
  return `from cython_pin import import_pinned\nimport_pinned(${JSON.stringify(alias)}${scope}, into=globals())`;
}
