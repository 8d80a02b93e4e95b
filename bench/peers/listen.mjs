// `--listen HOST:PORT` as every reference peer takes it (and the sealed examples): the host may
// be an IPv6 literal in brackets ("[::1]:0"); port 0 picks a free one.
export function parseListen(value) {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(at + 1)) };
}
