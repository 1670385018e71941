// A host's file system: the HostFs port on one memfs volume, with the durability memfs lacks.
//
// Fault model (DESIGN.md section 3):
// - Appends and whole-file writes change the volatile content at once (a page cache); only a
//   completed `sync` of the file makes them durable. `sync` makes durable the file's content as
//   it is when the sync completes (which may include data written while it ran, as a real fsync
//   may).
// - `crash(random)` reverts every file to its durable content. Files created and never synced
//   disappear. The one exception: when a file's only unsynced change is a single append, that
//   append may tear with probability `tearChance`, leaving a non-empty strict prefix of it on
//   disk (a partially written log record).
// - Metadata is journaled: removing a file is durable when the call is made, and directories,
//   created implicitly for a file's path, are never lost.
// - Every operation completes as a later kernel event after a fixed latency (sync is slower).
//   Completions pending at a crash or a clean shutdown never run.
// - While the host is down (`setDown(true)`) every operation fails with `host-down`.
// - An append or write that would take the volume past `capacityBytes` fails with `no-space`
//   and changes nothing.
//
// Cheapness: a file's volatile content lives beside memfs, in chunks this layer owns; memfs keeps
// only the namespace (directories and an empty entry per file), which is what decides io-errors
// for paths through a file, and `list`. The engine appends small records often (a master target
// appends its retention-journal index once per group commit, ~150k times a day at 100 VMs, to
// files of tens of MB), and memfs grows a file by allocating a bigger buffer and copying the old
// content into it: big copies, and big short-lived buffers for the collector. Here an append
// copies its bytes (the port does not hand them over) into the spare room of the file's last
// chunk, or into a new chunk as big as the file so far (at most 1 MiB), so an append costs
// O(appended bytes), nothing is ever copied again, and the only spare room is in the last chunk.
// Reads concatenate the chunks (they hand out a copy anyway). The durable state of a file is a
// length into its volatile content (the volatile content is the durable content plus appended
// bytes) and a crash truncates to it, dropping the chunks past it. A whole-file write keeps the
// caller's bytes as the file's one chunk (the port hands them over; they are never written) and
// drops the old chunks; it sets the old durable content aside (a snapshot), without a copy when
// that is one whole chunk, once per sync interval. The engine rewrites its small state files
// after every applied log, so that path must not copy.
import { createFsFromVolume, Volume, type IFs } from 'memfs';
import { assert, millis, micros, type Duration } from '../../model/index.js';
import type { FsError, FsResult, HostFs } from '../../engine/ports.js';
import type { Kernel } from '../kernel.js';
import type { RandomStream, Ratio } from '../random.js';

export interface HostFsOptions {
  readonly capacityBytes: number;
  /** Latency of append, writeFile, readFile, remove and list. */
  readonly opLatency?: Duration;
  /** Latency of sync (a device cache flush). */
  readonly syncLatency?: Duration;
  /** Probability that a crash tears a file's single unsynced append. */
  readonly tearChance?: Ratio;
}

export const HOST_FS_OP_LATENCY_DEFAULT = micros(50);
export const HOST_FS_SYNC_LATENCY_DEFAULT = millis(2);
export const HOST_FS_TEAR_CHANCE_DEFAULT: Ratio = { numerator: 1, denominator: 2 };
/** Bounds of the size of a new chunk, which is the file's length so far: small files stay small,
 *  the number of chunks grows with the logarithm of the size up to 1 MiB, and linearly beyond. */
const CHUNK_BYTES_MIN = 256;
const CHUNK_BYTES_MAX = 1 << 20;

/** The process memfs sees: uid and gid 0 without asking the operating system on every path walk
 *  (the simulated host has no users), and no access to the real process's environment. */
const MEMFS_PROCESS = { getuid: () => 0, getgid: () => 0, cwd: () => '/', platform: 'linux', emitWarning: () => undefined, env: {} };

/** One file: its content (memfs holds only an empty entry for it) and its durability. */
interface FileState {
  /** The volatile content, in order: every chunk but the last is full, the last holds `tailUsed`
   *  bytes. No chunk is empty, so an empty file has none. */
  chunks: Uint8Array[];
  tailUsed: number;
  /** The first chunk is shared (a caller's handed-over writeFile data, or a restored snapshot),
   *  so it is never written: it is full, and appends go to a chunk after it. Every other chunk was
   *  allocated here. */
  firstShared: boolean;
  /** Bytes of volatile content. */
  length: number;
  /** The file survives a crash: it was synced at least once since it was created. */
  durable: boolean;
  /** When `snapshot` is null, the durable content is the first `durableLength` volatile bytes. */
  durableLength: number;
  /** The durable content, when an unsynced whole-file write replaced it in the volatile content
   *  (never written: it is an old buffer the file no longer appends to). */
  snapshot: Uint8Array | null;
  /** Offset of the file's only unsynced change when that change is one append, else -1. */
  loneAppendAt: number;
}

const OK_VOID: FsResult<void> = Object.freeze({ ok: true, value: undefined });
const HOST_DOWN: FsResult<never> = Object.freeze({ ok: false, error: Object.freeze({ kind: 'host-down' }) });

export class SimHostFs implements HostFs {
  /** The namespace: directories, and an empty entry per file. */
  private readonly fs: IFs;
  private readonly files = new Map<string, FileState>();
  private usedBytes = 0;
  private isDown = false;
  /** Bumped by crash and shutdown; a completion scheduled in an older epoch is dropped. */
  private epoch = 0;
  private readonly opLatency: Duration;
  private readonly syncLatency: Duration;
  private readonly tearChance: Ratio;
  private readonly capacityBytes: number;
  private readonly labels: { append: number; writeFile: number; readFile: number; sync: number; appendDurable: number; remove: number; list: number };

  constructor(
    private readonly kernel: Kernel,
    readonly owner: string,
    options: HostFsOptions,
  ) {
    assert(Number.isSafeInteger(options.capacityBytes) && options.capacityBytes >= 0, 'host fs: capacityBytes must be a non-negative integer');
    this.capacityBytes = options.capacityBytes;
    this.opLatency = options.opLatency ?? HOST_FS_OP_LATENCY_DEFAULT;
    this.syncLatency = options.syncLatency ?? HOST_FS_SYNC_LATENCY_DEFAULT;
    this.tearChance = options.tearChance ?? HOST_FS_TEAR_CHANCE_DEFAULT;
    this.fs = createFsFromVolume(Volume.fromJSON({}, '/', { process: MEMFS_PROCESS }));
    const label = (op: string): number => kernel.labelId(`${owner}:fs:${op}`);
    this.labels = {
      append: label('append'),
      writeFile: label('write-file'),
      readFile: label('read-file'),
      sync: label('sync'),
      appendDurable: label('append-durable'),
      remove: label('remove'),
      list: label('list'),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The HostFs port

  append(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    this.complete(this.labels.append, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyAppend(path, data), data.length);
  }

  writeFile(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    this.complete(this.labels.writeFile, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyWriteFile(path, data), data.length);
  }

  readFile(path: string, done: (result: FsResult<Uint8Array>) => void): void {
    checkPath(path);
    this.complete(this.labels.readFile, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyRead(path), 0);
  }

  sync(path: string, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    this.syncLater(this.labels.sync, this.syncLatency, path, OK_VOID, done, 0);
  }

  /** The append lands now, as append's does; the sync's durability is decided at completion,
   *  after both latencies (a crash before then treats the append as any unsynced one). */
  appendDurable(path: string, data: Uint8Array, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    const appended = this.isDown ? HOST_DOWN : this.applyAppend(path, data);
    this.syncLater(this.labels.appendDurable, (this.opLatency + this.syncLatency) as Duration, path, appended, done, data.length);
  }

  /** Syncs `path` after `latency` unless `before` (what came first in the request) failed.
   *  Durability is decided when the flush completes: a crash before then loses the data. */
  private syncLater(label: number, latency: Duration, path: string, before: FsResult<void>, done: (result: FsResult<void>) => void, digest: number): void {
    if (this.isDown) {
      this.complete(label, latency, done, HOST_DOWN, digest);
      return;
    }
    const epoch = this.epoch;
    this.kernel.schedule(
      latency,
      label,
      () => {
        if (this.epoch !== epoch) return;
        if (!before.ok) return done(before);
        done(this.isDown ? HOST_DOWN : this.applySync(path));
      },
      digest,
    );
  }

  remove(path: string, done: (result: FsResult<void>) => void): void {
    checkPath(path);
    this.complete(this.labels.remove, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyRemove(path), 0);
  }

  list(dir: string, done: (result: FsResult<readonly string[]>) => void): void {
    checkPath(dir);
    this.complete(this.labels.list, this.opLatency, done, this.isDown ? HOST_DOWN : this.applyList(dir), 0);
  }

  usage(): { readonly usedBytes: number; readonly capacityBytes: number } {
    return { usedBytes: this.usedBytes, capacityBytes: this.capacityBytes };
  }

  // -------------------------------------------------------------------------------------------
  // Power and faults (called by the host)

  get down(): boolean {
    return this.isDown;
  }

  /** While down, every operation fails with `host-down`. */
  setDown(down: boolean): void {
    this.isDown = down;
  }

  /** An abrupt power loss: un-synced data is lost, a lone unsynced append may tear. */
  crash(random: RandomStream): void {
    this.epoch++;
    for (const [path, file] of this.files) {
      if (!file.durable) {
        this.fs.unlinkSync(path);
        this.usedBytes -= file.length;
        this.files.delete(path);
        continue;
      }
      if (file.snapshot !== null) {
        this.usedBytes += file.snapshot.length - file.length;
        setWhole(file, file.snapshot);
      } else {
        const kept = file.durableLength + this.tornPrefixLength(file, random);
        this.usedBytes -= file.length - kept;
        truncate(file, kept);
      }
      markDurable(file);
    }
    this.invariants();
  }

  /** A clean shutdown: the OS writes every file back, and pending completions never run. */
  shutdown(): void {
    this.epoch++;
    for (const file of this.files.values()) markDurable(file);
  }

  // -------------------------------------------------------------------------------------------
  // Inspection for tests and checkers

  /** What survives a crash (before any tear), or undefined when the file would disappear. */
  durableContent(path: string): Uint8Array | undefined {
    const file = this.files.get(path);
    if (file === undefined || !file.durable) return undefined;
    if (file.snapshot !== null) return file.snapshot.slice();
    return copyPrefix(file, file.durableLength);
  }

  /** The current (volatile) content, or undefined when the file does not exist. */
  content(path: string): Uint8Array | undefined {
    const file = this.files.get(path);
    return file === undefined ? undefined : copyPrefix(file, file.length);
  }

  /** Every file, sorted. */
  paths(): readonly string[] {
    return [...this.files.keys()].sort(compareStrings);
  }

  /** O(files): the bookkeeping agrees with itself and with the memfs namespace. For tests and
   *  after crashes. */
  invariants(): void {
    let sum = 0;
    for (const [path, file] of this.files) {
      sum += file.length;
      const entry = this.fs.statSync(path);
      assert(entry.isFile() && entry.size === 0, `host fs ${this.owner}: ${path} is not an empty memfs entry (content lives beside memfs)`);
      this.chunkInvariants(path, file);
      assert(file.snapshot === null || file.snapshot.length === file.durableLength, `host fs ${this.owner}: ${path} snapshot holds more than its durable content`);
      assert(file.snapshot !== null || file.durableLength <= file.length, `host fs ${this.owner}: ${path} durable length beyond its content`);
      assert(file.durable || (file.durableLength === 0 && file.snapshot === null), `host fs ${this.owner}: ${path} never synced but has durable content`);
      assert(file.loneAppendAt === -1 || (file.snapshot === null && file.loneAppendAt === file.durableLength), `host fs ${this.owner}: ${path} lone append misplaced`);
    }
    assert(sum === this.usedBytes, `host fs ${this.owner}: usedBytes ${this.usedBytes} but files hold ${sum}`);
    assert(this.usedBytes <= this.capacityBytes, `host fs ${this.owner}: over capacity`);
  }

  // -------------------------------------------------------------------------------------------
  // Operations on the volatile state, applied when called

  private applyAppend(path: string, data: Uint8Array): FsResult<void> {
    if (this.usedBytes + data.length > this.capacityBytes) return failure({ kind: 'no-space', path });
    let file = this.files.get(path);
    if (file === undefined) {
      const created = this.create(path);
      if (!created.ok) return created;
      file = created.value;
    }
    if (data.length === 0) return OK_VOID;
    const onlyChange = file.snapshot === null && file.length === file.durableLength;
    file.loneAppendAt = onlyChange ? file.length : -1;
    appendChunked(file, data);
    this.usedBytes += data.length;
    return OK_VOID;
  }

  private applyWriteFile(path: string, data: Uint8Array): FsResult<void> {
    let file = this.files.get(path);
    const oldLength = file === undefined ? 0 : file.length;
    if (this.usedBytes - oldLength + data.length > this.capacityBytes) return failure({ kind: 'no-space', path });
    if (file === undefined) {
      const created = this.create(path);
      if (!created.ok) return created;
      file = created.value;
    } else {
      // Keep the durable content aside before the volatile content stops extending it.
      if (file.durable && file.snapshot === null) file.snapshot = file.chunks.length === 1 && file.durableLength === file.chunks[0].length ? file.chunks[0] : copyPrefix(file, file.durableLength);
      file.loneAppendAt = -1;
    }
    setWhole(file, data); // handed over by the caller (HostFs.writeFile): never written here
    this.usedBytes += data.length - oldLength;
    return OK_VOID;
  }

  private applyRead(path: string): FsResult<Uint8Array> {
    const file = this.files.get(path);
    if (file === undefined) return failure({ kind: 'not-found', path });
    return { ok: true, value: copyPrefix(file, file.length) };
  }

  private applySync(path: string): FsResult<void> {
    const file = this.files.get(path);
    if (file === undefined) return failure({ kind: 'not-found', path });
    markDurable(file);
    return OK_VOID;
  }

  private applyRemove(path: string): FsResult<void> {
    const file = this.files.get(path);
    if (file === undefined) return failure({ kind: 'not-found', path });
    this.fs.unlinkSync(path);
    this.usedBytes -= file.length;
    this.files.delete(path);
    return OK_VOID;
  }

  private applyList(dir: string): FsResult<readonly string[]> {
    if (!this.isDirectory(dir)) return failure({ kind: 'not-found', path: dir });
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const found: string[] = [];
    for (const path of this.files.keys()) if (path.startsWith(prefix)) found.push(path);
    return { ok: true, value: found.sort(compareStrings) };
  }

  private create(path: string): FsResult<FileState> {
    const parent = path.slice(0, path.lastIndexOf('/'));
    try {
      if (parent !== '') this.fs.mkdirSync(parent, { recursive: true });
      this.fs.writeFileSync(path, EMPTY);
    } catch (error) {
      // A path component is a file, or the path is a directory: an operating error, not a bug.
      return failure({ kind: 'io-error', path, message: (error as { code?: string }).code ?? String(error) });
    }
    const file: FileState = { chunks: [], tailUsed: 0, firstShared: false, length: 0, durable: false, durableLength: 0, snapshot: null, loneAppendAt: -1 };
    this.files.set(path, file);
    return { ok: true, value: file };
  }

  private chunkInvariants(path: string, file: FileState): void {
    const { chunks } = file;
    let sum = 0;
    for (let i = 0; i < chunks.length - 1; i++) sum += chunks[i].length;
    const tail = chunks.length === 0 ? EMPTY : chunks[chunks.length - 1];
    assert(chunks.length === 0 ? file.tailUsed === 0 : file.tailUsed > 0 && file.tailUsed <= tail.length, `host fs ${this.owner}: ${path} last chunk use out of range`);
    assert(sum + file.tailUsed === file.length, `host fs ${this.owner}: ${path} chunks hold ${sum + file.tailUsed} bytes for ${file.length}`);
    // Memory: the only spare room is in the last chunk, and no more than a new chunk would take.
    assert(tail.length - file.tailUsed <= chunkBytesFor(file.length), `host fs ${this.owner}: ${path} keeps ${tail.length - file.tailUsed} spare bytes for ${file.length}`);
    // A shared chunk is never written, so it has no spare room an append could fill.
    assert(!(file.firstShared && chunks.length === 1) || file.tailUsed === tail.length, `host fs ${this.owner}: ${path} has spare room in a shared chunk`);
    const snapshot = file.snapshot;
    if (snapshot !== null) for (let i = file.firstShared ? 1 : 0; i < chunks.length; i++) assert(chunks[i].buffer !== snapshot.buffer, `host fs ${this.owner}: ${path} appends could overwrite its durable snapshot`);
  }

  private isDirectory(dir: string): boolean {
    try {
      return this.fs.statSync(dir).isDirectory();
    } catch {
      return false;
    }
  }

  /** Bytes of a lone unsynced append that survive a crash (0 unless it tears). */
  private tornPrefixLength(file: FileState, random: RandomStream): number {
    if (file.loneAppendAt < 0) return 0;
    const appended = file.length - file.loneAppendAt;
    if (appended < 2 || !random.chance(this.tearChance)) return 0;
    return random.between(1, appended - 1);
  }

  /** Delivers `result` after `latency`, unless a crash or shutdown intervenes. */
  private complete<T>(label: number, latency: Duration, done: (result: FsResult<T>) => void, result: FsResult<T>, digest: number): void {
    const epoch = this.epoch;
    this.kernel.schedule(
      latency,
      label,
      () => {
        if (this.epoch === epoch) done(result);
      },
      digest,
    );
  }
}

const EMPTY = new Uint8Array(0);

/** The size of a new chunk for a file of `length` bytes: as big as the file so far, within bounds. */
function chunkBytesFor(length: number): number {
  return Math.min(Math.max(length, CHUNK_BYTES_MIN), CHUNK_BYTES_MAX);
}

/** Copies `data` after the content: into the last chunk's spare room, the rest into a new chunk. */
function appendChunked(file: FileState, data: Uint8Array): void {
  const { chunks } = file;
  let placed = 0;
  if (chunks.length > 0 && !(file.firstShared && chunks.length === 1)) {
    const tail = chunks[chunks.length - 1];
    placed = Math.min(tail.length - file.tailUsed, data.length);
    if (placed > 0) {
      tail.set(placed === data.length ? data : data.subarray(0, placed), file.tailUsed);
      file.tailUsed += placed;
    }
  }
  file.length += placed;
  if (placed === data.length) return;
  const rest = data.length - placed;
  const chunk = new Uint8Array(Math.max(rest, chunkBytesFor(file.length)));
  chunk.set(placed === 0 ? data : data.subarray(placed), 0);
  chunks.push(chunk);
  file.tailUsed = rest;
  file.length += rest;
}

/** Makes `whole` (never written here) the file's content, dropping the old chunks. */
function setWhole(file: FileState, whole: Uint8Array): void {
  file.chunks = whole.length === 0 ? [] : [whole];
  file.tailUsed = whole.length;
  file.firstShared = whole.length > 0;
  file.length = whole.length;
}

/** Cuts the content to its first `kept` bytes, dropping the chunks past them. The new last chunk
 *  is copied out when it is shared (it is never written) or has more spare room than a new chunk
 *  would take, so that no dead bytes stay reachable. */
function truncate(file: FileState, kept: number): void {
  const { chunks } = file;
  let start = file.length - file.tailUsed;
  while (chunks.length > 0 && start >= kept) {
    chunks.pop();
    start -= chunks.length > 0 ? chunks[chunks.length - 1].length : 0;
  }
  file.length = kept;
  file.tailUsed = kept - (chunks.length > 0 ? start : 0);
  if (chunks.length === 0) {
    file.firstShared = false;
    return;
  }
  const last = chunks.length - 1;
  const tail = chunks[last];
  const shared = file.firstShared && last === 0;
  if ((shared && file.tailUsed < tail.length) || tail.length - file.tailUsed > chunkBytesFor(kept)) {
    chunks[last] = tail.slice(0, file.tailUsed);
    if (last === 0) file.firstShared = false;
  }
}

/** A fresh copy of the first `count` bytes of the content. */
function copyPrefix(file: FileState, count: number): Uint8Array {
  const copy = new Uint8Array(count);
  let at = 0;
  for (const chunk of file.chunks) {
    if (at === count) break;
    const take = Math.min(chunk.length, count - at);
    copy.set(take === chunk.length ? chunk : chunk.subarray(0, take), at);
    at += take;
  }
  return copy;
}

function markDurable(file: FileState): void {
  file.durable = true;
  file.durableLength = file.length;
  file.snapshot = null;
  file.loneAppendAt = -1;
}

function failure(error: FsError): FsResult<never> {
  return { ok: false, error };
}

function checkPath(path: string): void {
  assert(path.startsWith('/') && (path === '/' || !path.endsWith('/')) && !path.includes('//'), `host fs: "${path}" is not a normalised absolute path`);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
