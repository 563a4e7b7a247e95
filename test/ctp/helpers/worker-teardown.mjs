// Child process for test/ctp/feed.test.ts: a worker thread runs a CTP session on the stand-in while it floods, and is terminated without release(); the process must survive.
import net from 'node:net';
import { Worker } from 'node:worker_threads';
const [addonPath, lib] = process.argv.slice(2);
const srv = net.createServer((sock) => {
  let buf = '';
  sock.on('error', () => {});
  sock.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const t = l.split(' ');
      if (t[0] === 'LOGIN') sock.write(`RSPLOGIN ${t[1]} 0 20250106 -\n`);
      if (t[0] === 'SUB') sock.write('FLOOD 100000000 InstrumentID=rb2505 ExchangeID=SHFE LastPrice=1 UpdateTime=21:00:00\n');
    }
  });
});
srv.listen(0, '127.0.0.1', () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require(workerData.addonPath);
    let n = 0;
    const s = new addon.MdSession({ library: workerData.lib, flowDir: '/tmp/', fronts: [workerData.front], queueMax: 1000 },
      (e) => { if (e.type === 'connected') s.login('1', 'u', 'p', 1); if (e.type === 'login') s.subscribe(['rb2505']); },
      () => { if (++n === 1000) parentPort.postMessage('flooding'); });
    s.init();`;
  const w = new Worker(code, { eval: true, workerData: { addonPath, lib, front: `tcp://127.0.0.1:${srv.address().port}` } });
  w.on('message', async () => {
    await w.terminate();
    setTimeout(() => {
      console.log('survived the worker teardown');
      process.exit(0);
    }, 300);
  });
  w.on('error', (e) => {
    console.error('worker error', e);
    process.exit(3);
  });
});
