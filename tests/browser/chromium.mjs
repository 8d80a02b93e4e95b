// What the headless-Chromium tests share: playwright-core from tests/interop/node_modules (see
// tests/interop/README.md) driving Debian's /usr/bin/chromium with the flags these machines need.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../interop/package.json', import.meta.url));
const { chromium } = require('playwright-core');

// --disable-features=WebRtcHideLocalIpsWithMdns: Chromium otherwise offers only mDNS host names
// (<uuid>.local) as WebRTC host candidates, which nothing resolves here, so no pair forms on
// loopback (peerjs_datachannel.mjs).
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
