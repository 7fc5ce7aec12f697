import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ReplaySubject, type Observable } from 'rxjs';
import { waitFor } from './wait-for.js';

/** One datagram a service sent to the notify socket, with the sender pid its credentials carry. */
export interface NotifyMessage {
  readonly pid: number | null;
  /** `KEY=value` lines, e.g. ['READY=1', 'STATUS=running']. */
  readonly lines: readonly string[];
}

/**
 * What systemd does with NOTIFY_SOCKET, in a few lines of Python (Node has no unix datagram
 * sockets): bind an AF_UNIX SOCK_DGRAM socket, read each datagram with its sender credentials,
 * and close the file descriptors a barrier (BARRIER=1) sends along, which is how systemd answers
 * one. Each datagram is printed as a JSON line.
 */
const LISTENER = `
import array, json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"listening": True}), flush=True)
while True:
    data, ancillary, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(256))
    pid = None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for fd in array.array("i", payload[: len(payload) - len(payload) % 4]):
                os.close(fd)
    print(json.dumps({"pid": pid, "lines": data.decode().split("\\n")}), flush=True)
`;

export interface NotifySocket {
  /** The socket path, the value of NOTIFY_SOCKET. */
  readonly path: string;
  /** Every message so far, then each new one. */
  readonly messages$: Observable<NotifyMessage>;
  readonly messages: readonly NotifyMessage[];
  /** The first message (received or to come) with a line equal to `line`. */
  next(line: string, after?: number): Promise<NotifyMessage>;
  dispose(): Promise<void>;
}

/** Starts a notify socket listener with `python3` (its path given). */
export async function startNotifySocket(python: string): Promise<NotifySocket> {
  const dir = await mkdtemp(join(tmpdir(), 'amora-notify-'));
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn(python, ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const subject = new ReplaySubject<NotifyMessage>();
  const received: NotifyMessage[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the notify socket listener exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as NotifyMessage & { listening?: boolean };
      if (parsed.listening) return resolve();
      received.push(parsed);
      subject.next(parsed);
    });
  });
  await listening;
  return {
    path,
    messages$: subject.asObservable(),
    messages: received,
    next: (line, after = 0) => waitFor(subject, (m) => m.lines.includes(line) && received.indexOf(m) >= after),
    async dispose() {
      child.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
