// The page the Chromium tests load from http://127.0.0.1 (crypto.subtle and
// WebRTC need a secure-ish origin; about:blank has none). Its functions are
// called from the tests with page.evaluate().
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const SCRIPT = `
let pc, dc, ac;
const log = [];
window.webrtcLog = log;
// An offer with a data channel and, optionally, an audio track from a WebAudio
// oscillator (no microphone needed).
window.makeOffer = async ({ audio }) => {
  pc = new RTCPeerConnection();
  window.pc = pc;
  pc.onconnectionstatechange = () => log.push({ event: 'connection:' + pc.connectionState, at: Date.now() });
  pc.oniceconnectionstatechange = () => log.push({ event: 'ice:' + pc.iceConnectionState, at: Date.now() });
  dc = pc.createDataChannel('x');
  dc.onopen = () => log.push({ event: 'datachannel:open', at: Date.now() });
  if (audio) {
    ac = new AudioContext();
    const osc = ac.createOscillator();
    osc.frequency.value = 440;
    const dst = ac.createMediaStreamDestination();
    osc.connect(dst);
    osc.start();
    pc.addTrack(dst.stream.getAudioTracks()[0], dst.stream);
  }
  await pc.setLocalDescription();
  return pc.localDescription.sdp;
};
window.resumeAudio = async () => { if (ac) await ac.resume(); return ac ? ac.state : 'none'; };
window.applyAnswer = (sdp) => pc.setRemoteDescription({ type: 'answer', sdp });
window.waitConnected = (ms) => new Promise((resolve, reject) => {
  const done = () => pc.connectionState === 'connected';
  if (done()) return resolve(pc.connectionState);
  const events = () => log.map((l) => l.event).join(' ');
  const timer = setTimeout(() => reject(new Error('not connected after ' + ms + ' ms: ' + pc.connectionState + ' ' + events())), ms);
  pc.addEventListener('connectionstatechange', () => {
    if (done()) { clearTimeout(timer); resolve(pc.connectionState); }
    if (pc.connectionState === 'failed') { clearTimeout(timer); reject(new Error('connection failed: ' + events())); }
  });
});
window.transportStats = async () => {
  const stats = await pc.getStats();
  let transport;
  stats.forEach((s) => { if (s.type === 'transport') transport = s; });
  let outbound;
  stats.forEach((s) => { if (s.type === 'outbound-rtp' && s.kind === 'audio') outbound = s; });
  const certificates = {};
  stats.forEach((s) => { if (s.type === 'certificate') certificates[s.id] = { fingerprint: s.fingerprint, fingerprintAlgorithm: s.fingerprintAlgorithm }; });
  const plain = (x) => x && JSON.parse(JSON.stringify(x));
  return { transport: plain(transport), outbound: plain(outbound), certificates, connectionState: pc.connectionState, log };
};
window.closePc = () => { if (pc) pc.close(); if (ac) ac.close(); };
`;

const HTML = `<!doctype html><meta charset="utf-8"><title>dtls-stream WebRTC test</title><button id="go">go</button><script>${SCRIPT}</script>`;

/** Serves the test page on 127.0.0.1 (any free port). */
export async function servePage(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(HTML);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
