// Mints grants with Node's own crypto (an implementation that is not ours), for the broker's
// JWT policy: prints the ES256 public key (PEM, on one line with \n escaped) and three tokens:
// a valid ES256 grant for `sub`, a valid HS256 grant signed with `secret`, and an expired ES256 one.
//   node jwt_mint.mjs <sub> <hs256 secret>
import { generateKeyPairSync, sign, createHmac } from 'node:crypto';

const [sub, secret] = process.argv.slice(2);
const b64url = (b) => Buffer.from(b).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const claims = (exp) => b64url(JSON.stringify({ sub, iat: now, exp }));

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const es256 = (exp) => {
  const signed = `${b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT' }))}.${claims(exp)}`;
  return `${signed}.${b64url(sign('sha256', Buffer.from(signed), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
};
const hsSigned = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${claims(now + 600)}`;
const hs256 = `${hsSigned}.${b64url(createHmac('sha256', secret).update(hsSigned).digest())}`;

console.log(JSON.stringify({
  pem: publicKey.export({ type: 'spki', format: 'pem' }),
  es256: es256(now + 600),
  hs256,
  expired: es256(now - 3600),
}));
