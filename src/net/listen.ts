import type http from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import selfsigned from 'selfsigned';

/**
 * Listening helpers shared by the bridge and the target simulators: a server that remembers its
 * open sockets (so a shutdown can drop what is left after a grace period), and a self-signed
 * certificate for loopback HTTPS.
 */

/** Listens on `host:port` and returns the set of open sockets, kept current as they close. */
export async function listenTracked(server: http.Server | https.Server, port: number, host: string): Promise<Set<Socket>> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return sockets;
}

/** A fresh self-signed certificate (its own CA) for 127.0.0.1 and localhost, valid `days` days. */
export function selfSignedCertificate(days: number): { key: string; cert: string } {
  const pems = selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    days,
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
