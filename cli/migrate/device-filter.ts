/**
 * `--devices`: a comma-separated list of device ids and globs (`*` any run of characters, `?`
 * one), e.g. `player-0*,lobby-3`. No filter selects every device.
 */
export function deviceFilter(spec: string | undefined): (id: string) => boolean {
  const patterns = (spec ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (patterns.length === 0) return () => true;
  const expressions = patterns.map(globToRegExp);
  return (id) => expressions.some((expression) => expression.test(id));
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
