var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// ../../work/main/src/util/is-record.ts
var isRecord;
var init_is_record = __esm({
  "../../work/main/src/util/is-record.ts"() {
    "use strict";
    isRecord = (value) => typeof value === "object" && value !== null && !Array.isArray(value);
  }
});

// ../../work/main/src/util/concurrency.ts
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
var init_concurrency = __esm({
  "../../work/main/src/util/concurrency.ts"() {
    "use strict";
  }
});

// ../../work/main/src/stores/cleanup.ts
function onInterrupt(cleanup) {
  pending.add(cleanup);
  return () => {
    pending.delete(cleanup);
  };
}
var pending;
var init_cleanup = __esm({
  "../../work/main/src/stores/cleanup.ts"() {
    "use strict";
    pending = /* @__PURE__ */ new Set();
  }
});

// ../../work/main/src/util/errors.ts
var DataquestError;
var init_errors = __esm({
  "../../work/main/src/util/errors.ts"() {
    "use strict";
    DataquestError = class extends Error {
      kind;
      hint;
      constructor(kind, message, options = {}) {
        super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
        this.kind = kind;
        if (options.hint) this.hint = options.hint;
      }
    };
  }
});

// ../../work/main/node_modules/ansi-regex/index.js
function ansiRegex({ onlyFirst = false } = {}) {
  return new RegExp(pattern, onlyFirst ? void 0 : "g");
}
var ST, stringControls, osc, controlString, linuxPalette, csi, escape, pattern;
var init_ansi_regex = __esm({
  "../../work/main/node_modules/ansi-regex/index.js"() {
    ST = String.raw`(?:\u001B\u005C|\u009C)`;
    stringControls = String.raw`\u0018\u001A\u001B\u0080-\u009F`;
    osc = String.raw`(?:\u001B\]|\u009D)[^\u0007${stringControls}]*(?:\u0007|${ST})`;
    controlString = String.raw`(?:\u001B[PX^_k]|[\u0090\u0098\u009E\u009F])[^${stringControls}]*${ST}`;
    linuxPalette = String.raw`\u001B\](?:P[\dA-Fa-f]{7}|R)(?:\u0007|${ST})?`;
    csi = String.raw`(?:\u001B\[|\u009B)[\u0030-\u003F]*[\u0020-\u002F]*[\u0040-\u007E]`;
    escape = String.raw`\u001B(?:[\u0020-\u002F]+[\u0030-\u007E]|[\dA-PR-TZcf-oq-uy=><~|}])`;
    pattern = `${linuxPalette}|${osc}|${controlString}|${csi}|${escape}`;
  }
});

// ../../work/main/node_modules/strip-ansi/index.js
function stripAnsi(string) {
  if (typeof string !== "string") {
    throw new TypeError(`Expected a \`string\`, got \`${typeof string}\``);
  }
  if (!string.includes("\x1B") && !string.includes("\x9B")) {
    return string;
  }
  return string.replace(regex, "");
}
var regex;
var init_strip_ansi = __esm({
  "../../work/main/node_modules/strip-ansi/index.js"() {
    init_ansi_regex();
    regex = ansiRegex();
  }
});

// ../../work/main/src/util/sanitize.ts
var CONTROLS, CONTROL, sanitize;
var init_sanitize = __esm({
  "../../work/main/src/util/sanitize.ts"() {
    "use strict";
    init_strip_ansi();
    CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
    CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
    sanitize = (text2) => CONTROL.test(text2) ? stripAnsi(text2).replace(CONTROLS, "") : text2;
  }
});

// ../../work/main/src/stores/store.ts
import { Readable } from "node:stream";
async function writeBatch(store, work) {
  let result;
  try {
    result = await work();
  } catch (error) {
    await store.flush().catch(() => {
    });
    throw error;
  }
  await store.flush();
  return result;
}
function streamReader(stream) {
  const chunks = stream[Symbol.asyncIterator]();
  let rest = new Uint8Array(0);
  return {
    async read(into) {
      while (rest.length === 0) {
        const next = await chunks.next();
        if (next.done) return 0;
        rest = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      }
      const count = Math.min(into.length, rest.length);
      into.set(rest.subarray(0, count));
      rest = rest.subarray(count);
      return count;
    },
    async close() {
      stream.destroy();
    }
  };
}
function unsafeKeyProblem(key) {
  const segments = key.split("/");
  if (key.length === 0 || key.includes("\\") || key.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
    return `unsafe store key ${JSON.stringify(key)}: keys must be relative paths without '.', '..' or empty segments`;
  }
  if (isInternalName(segments.at(-1))) return `unsafe store key ${JSON.stringify(key)}: the name is one dataquest keeps for its own bookkeeping`;
  return void 0;
}
function assertSafeKey(key) {
  const problem = unsafeKeyProblem(key);
  if (problem) throw new Error(problem);
}
var MANIFEST_NAME, LOCK_NAME, TEMP_NAME, isInternalName, toReadable, StoreStateError, NotFoundError, SizeMismatchError, StoreWriteError, UnrecordedWriteError;
var init_store = __esm({
  "../../work/main/src/stores/store.ts"() {
    "use strict";
    init_errors();
    MANIFEST_NAME = ".dataquest-manifest.json";
    LOCK_NAME = ".dataquest-lock";
    TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;
    isInternalName = (name) => name.startsWith(".dataquest-") || TEMP_NAME.test(name);
    toReadable = (body) => body instanceof Readable ? body : Readable.from([typeof body === "string" ? Buffer.from(body) : body]);
    StoreStateError = class extends DataquestError {
      constructor(message, options) {
        super("store", message, options);
      }
    };
    NotFoundError = class extends DataquestError {
      constructor(location, key) {
        super("input", `${key} not found in ${location}`);
        this.location = location;
        this.key = key;
        this.name = "NotFoundError";
      }
      location;
      key;
    };
    SizeMismatchError = class extends StoreStateError {
      constructor(key, expected, actual) {
        super(`${key}: received ${actual} bytes, expected ${expected}; the previous copy was kept`);
        this.key = key;
        this.expected = expected;
        this.actual = actual;
        this.name = "SizeMismatchError";
      }
      key;
      expected;
      actual;
    };
    StoreWriteError = class extends StoreStateError {
      constructor(key, file, cause) {
        const why = cause.code === "ENOSPC" ? "ENOSPC, no space left on device: free some space" : `${cause.code}: ${cause.message.replace(/^\w+: /, "")}`;
        super(`${key}: could not write ${file} (${why}); the previous copy was kept`, { cause });
        this.key = key;
        this.name = "StoreWriteError";
        this.code = cause.code;
        this.syscall = cause.syscall;
      }
      key;
      code;
      /** Kept from the system error: it marks a local failure that no retry can help (http/client.ts). */
      syscall;
    };
    UnrecordedWriteError = class extends StoreStateError {
      constructor(key, cause) {
        super(`${key}: the new copy was written, but recording it failed (${cause.message}); it is hashed again when next read`, { cause });
        this.key = key;
        this.name = "UnrecordedWriteError";
      }
      key;
    };
  }
});

// ../../work/main/src/stores/s3-location.ts
function parseS3Location(location) {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match?.[1]) throw new Error(`invalid S3 location ${JSON.stringify(location)}: use s3://bucket/prefix`);
  const prefix = match[2];
  return { bucket: match[1], prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/` };
}
var isS3Location;
var init_s3_location = __esm({
  "../../work/main/src/stores/s3-location.ts"() {
    "use strict";
    isS3Location = (location) => location.startsWith("s3://");
  }
});

// ../../work/main/src/aws/clients.ts
var clients_exports = {};
__export(clients_exports, {
  createS3Client: () => createS3Client,
  createSqsClient: () => createSqsClient,
  explainAwsError: () => explainAwsError
});
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
function createS3Client(options = {}) {
  const client = new S3Client({
    profile: options.profile,
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== void 0,
    region: regionFor(options),
    // Every PUT and part carries its Content-MD5 (S3Store), which S3 checks; a CRC32 on top only costs CPU.
    requestChecksumCalculation: "WHEN_REQUIRED"
  });
  explainErrors(client.middlewareStack, "s3", options);
  return client;
}
function createSqsClient(options = {}) {
  const client = new SQSClient({ profile: options.profile, endpoint: options.endpoint, region: regionFor(options) });
  explainErrors(client.middlewareStack, "sqs", options);
  return client;
}
function explainAwsError(error, request) {
  const call = request.command.replace(/Command$/, "");
  const action = `${request.service}:${request.service === "s3" ? S3_ACTIONS[call] ?? call : call}`;
  const { Bucket, Key, Prefix, QueueUrl } = request.input;
  const resource = Bucket === void 0 ? QueueUrl : `s3://${Bucket}/${Key ?? Prefix ?? ""}`;
  const where = request.endpoint ? "--endpoint (or AWS_ENDPOINT_URL)" : `the bucket name ${JSON.stringify(Bucket)} and the region`;
  if (error.message === "Region is missing") return "no AWS region: set AWS_REGION or pass --region (e.g. --region us-east-1)";
  if (error.name === "CredentialsProviderError" && request.profile) {
    return `no AWS credentials for profile ${JSON.stringify(request.profile)}: check ~/.aws/credentials and ~/.aws/config (or AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE), or run \`aws configure --profile ${request.profile}\``;
  }
  if (error.name === "CredentialsProviderError") {
    return "no AWS credentials found: run `aws configure` (or `aws sso login`), or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
  }
  if (error.code === "ENOTFOUND") return `${action} on ${resource}: the host ${error.hostname} does not resolve (ENOTFOUND); check ${where}`;
  if (error.code === "ECONNREFUSED") return `${action} on ${resource}: connection refused (ECONNREFUSED ${error.address}:${error.port}); check ${where}`;
  if (error.name === "QueueDoesNotExist" || error.name === "AWS.SimpleQueueService.NonExistentQueue") {
    return `the queue ${QueueUrl} does not exist (in this account and region); check --queue (or DATAQUEST_QUEUE_URL) and --region`;
  }
  if (error.$metadata?.httpStatusCode === 403) {
    return `access denied: ${action} on ${resource}; the credentials in use (AWS_PROFILE, or the role) need that permission`;
  }
  return void 0;
}
function explainErrors(stack, service, options) {
  stack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const request = { service, command: String(context.commandName), input: args.input, endpoint: options.endpoint, profile: options.profile };
        const explained = explainAwsError(error, request);
        if (explained) error.message = explained;
        throw error;
      }
    },
    { step: "initialize", name: "dataquestExplainErrors" }
  );
}
var regionFor, S3_ACTIONS;
var init_clients = __esm({
  "../../work/main/src/aws/clients.ts"() {
    "use strict";
    regionFor = (options) => options.region ?? (options.endpoint ? "us-east-1" : void 0);
    S3_ACTIONS = {
      HeadObject: "GetObject",
      ListObjectsV2: "ListBucket",
      CreateMultipartUpload: "PutObject",
      UploadPart: "PutObject",
      CompleteMultipartUpload: "PutObject"
    };
  }
});

// ../../work/main/src/stores/s3.ts
var s3_exports = {};
__export(s3_exports, {
  LEGACY_MD5_METADATA_KEY: () => LEGACY_MD5_METADATA_KEY,
  MAX_MANIFEST_BYTES: () => MAX_MANIFEST_BYTES,
  S3Store: () => S3Store,
  manifestFolderOf: () => manifestFolderOf,
  parseS3Location: () => parseS3Location
});
import { createHash as createHash3 } from "node:crypto";
import { text } from "node:stream/consumers";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand
} from "@aws-sdk/client-s3";
function parseManifest(body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return `not JSON: ${error.message}`;
  }
  if (!isRecord(parsed) || !isRecord(parsed.objects)) return "not {version, objects}";
  return new Map(Object.entries(parsed.objects).filter((pair) => isEntry2(pair[1])));
}
function manifestFolderOf(key) {
  const folders = key.split("/").slice(0, -1).slice(0, 2);
  return folders.map((folder) => `${folder}/`).join("");
}
var LEGACY_MD5_METADATA_KEY, MAX_MANIFEST_BYTES, MiB, PARTS_IN_FLIGHT, isNotFound, plainMd5, unquote, base64, isEntry2, S3Store;
var init_s3 = __esm({
  "../../work/main/src/stores/s3.ts"() {
    "use strict";
    init_is_record();
    init_concurrency();
    init_cleanup();
    init_s3_location();
    init_store();
    init_s3_location();
    LEGACY_MD5_METADATA_KEY = "content-md5";
    MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
    MiB = 1024 * 1024;
    PARTS_IN_FLIGHT = 4;
    isNotFound = (error) => ["NoSuchKey", "NotFound"].includes(error.name);
    plainMd5 = (etag) => /^[0-9a-f]{32}$/.test(etag) ? etag : void 0;
    unquote = (etag) => String(etag).replaceAll('"', "");
    base64 = (hex) => Buffer.from(hex, "hex").toString("base64");
    isEntry2 = (value) => isRecord(value) && typeof value.etag === "string" && typeof value.size === "number" && isRecord(value.metadata);
    S3Store = class {
      constructor(client, location, options = {}) {
        this.client = client;
        ;
        ({ bucket: this.bucket, prefix: this.prefix } = parseS3Location(location));
        this.location = `s3://${this.bucket}/${this.prefix}`;
        this.partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB);
        this.listPageSize = options.listPageSize;
        this.maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
        this.warn = options.onWarning ?? (() => {
        });
      }
      client;
      location;
      bucket;
      prefix;
      partSize;
      listPageSize;
      maxManifestBytes;
      warn;
      shards = /* @__PURE__ */ new Map();
      saving = Promise.resolve();
      unregisterSave;
      objectKey(key) {
        assertSafeKey(key);
        return this.prefix + key;
      }
      /** The manifest of `folder` (see manifestFolderOf), read once. */
      shard(folder) {
        let shard = this.shards.get(folder);
        if (!shard) {
          shard = this.readShard(folder);
          this.shards.set(folder, shard);
          shard.catch(() => this.shards.delete(folder));
        }
        return shard;
      }
      async readShard(folder) {
        const Key = this.prefix + folder + MANIFEST_NAME;
        let object;
        try {
          object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
        } catch (error) {
          if (isNotFound(error)) return { entries: /* @__PURE__ */ new Map(), dirty: false };
          throw error;
        }
        let parsed;
        if ((object.ContentLength ?? 0) > this.maxManifestBytes) {
          ;
          object.Body.destroy();
          parsed = `${object.ContentLength} bytes, over the cap of ${this.maxManifestBytes}`;
        } else parsed = parseManifest(await text(object.Body));
        if (typeof parsed === "string") {
          this.warn(`s3://${this.bucket}/${Key} is ${parsed}: ignored it (each object is read by HEAD instead); the next write rebuilds it`);
          return { entries: /* @__PURE__ */ new Map(), dirty: true };
        }
        const entries = new Map([...parsed].filter(([key]) => manifestFolderOf(key) === folder));
        return { entries, dirty: entries.size !== parsed.size };
      }
      /** Record what is now known of `key` (undefined: gone), for the next `flush`. */
      learn(shard, key, entry) {
        if (entry) shard.entries.set(key, entry);
        else shard.entries.delete(key);
        shard.dirty = true;
      }
      /** After a write or delete: record it, and save the manifests even if the batch is interrupted. */
      async remember(key, entry) {
        this.learn(await this.shard(manifestFolderOf(key)), key, entry);
        this.unregisterSave ??= onInterrupt(() => this.flush());
      }
      /** Save each manifest that changed since it was read. */
      flush() {
        const saved = this.saving.then(async () => {
          this.unregisterSave?.();
          this.unregisterSave = void 0;
          for (const [folder, loading] of [...this.shards]) {
            const shard = await loading;
            if (shard.dirty) await this.saveShard(folder, shard);
          }
        });
        this.saving = saved.catch(() => {
        });
        return saved;
      }
      async saveShard(folder, shard) {
        shard.dirty = false;
        const Key = this.prefix + folder + MANIFEST_NAME;
        const objects = Object.fromEntries([...shard.entries].sort(([a], [b]) => a < b ? -1 : 1));
        const body = `${JSON.stringify({ version: 1, objects })}
`;
        if (Buffer.byteLength(body) > this.maxManifestBytes) {
          this.warn(`s3://${this.bucket}/${Key}: ${shard.entries.size} entries would take more than ${this.maxManifestBytes} bytes; not saved (objects under it are read by HEAD)`);
          return;
        }
        const ContentMD5 = createHash3("md5").update(body).digest("base64");
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentMD5, ContentType: "application/json" })).catch((error) => {
          shard.dirty = true;
          throw error;
        });
      }
      /** The object as a store describes it: MD5 from a plain ETag, else from a manifest entry that still matches. */
      describe(key, etag, size, entry, metadata) {
        const current = entry?.etag === etag && entry.size === size ? entry : void 0;
        const md5 = plainMd5(etag) ?? current?.md5;
        return { key, size, ...md5 ? { md5 } : {}, metadata: { ...metadata } };
      }
      /**
       * The objects LIST shows under `prefix`, but store-internal names (skipped unsaid) and keys no
       * store could hold (`a//b`, `a\\b`: skipped with a warning naming them).
       */
      async listing(prefix) {
        const listed = [];
        const manifests = [];
        let token;
        do {
          const page = await this.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token, MaxKeys: this.listPageSize })
          );
          for (const object of page.Contents ?? []) {
            const key = object.Key.slice(this.prefix.length);
            const name = key.split("/").at(-1);
            if (name === MANIFEST_NAME) manifests.push(key.slice(0, -name.length));
            if (key.endsWith("/") || isInternalName(name)) continue;
            const problem = unsafeKeyProblem(key);
            if (problem) {
              this.warn(`skipped s3://${this.bucket}/${object.Key}: ${problem}`);
              continue;
            }
            listed.push({ key, etag: unquote(object.ETag), size: object.Size });
          }
          token = page.IsTruncated ? page.NextContinuationToken : void 0;
        } while (token);
        return { listed, manifests };
      }
      async list(prefix = "") {
        const { listed, manifests } = await this.listing(prefix);
        const folders = /* @__PURE__ */ new Set([...manifests, ...listed.map(({ key }) => manifestFolderOf(key)).filter((folder) => !folder.startsWith(prefix))]);
        const shards = new Map(await Promise.all([...folders].map(async (folder) => [folder, await this.shard(folder)])));
        const present = new Set(listed.map(({ key }) => key));
        for (const [folder, shard] of shards) {
          if (!folder.startsWith(prefix)) continue;
          for (const key of shard.entries.keys()) if (!present.has(key)) this.learn(shard, key, void 0);
        }
        const objects = await mapLimit(listed, 16, async ({ key, etag, size }) => {
          const shard = shards.get(manifestFolderOf(key));
          const entry = shard?.entries.get(key);
          if (entry?.etag === etag && entry.size === size) return this.describe(key, etag, size, entry, entry.metadata);
          const head = await this.head(key);
          if (!head) return void 0;
          this.learn(shard ?? await this.shard(manifestFolderOf(key)), key, head.entry);
          return head.object;
        });
        return objects.filter((object) => object !== void 0);
      }
      async stat(key) {
        return (await this.head(key))?.object;
      }
      async head(key) {
        let head;
        try {
          head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
        } catch (error) {
          if (isNotFound(error)) return void 0;
          throw error;
        }
        const etag = unquote(head.ETag);
        const size = head.ContentLength;
        const { [LEGACY_MD5_METADATA_KEY]: _untrusted, ...metadata } = head.Metadata;
        const known = plainMd5(etag) ? void 0 : (await this.shard(manifestFolderOf(key))).entries.get(key);
        const object = this.describe(key, etag, size, known, metadata);
        return { object, entry: { etag, size, ...object.md5 && !plainMd5(etag) ? { md5: object.md5 } : {}, metadata } };
      }
      async read(key) {
        try {
          const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
          return object.Body;
        } catch (error) {
          if (isNotFound(error)) throw new NotFoundError(this.location, key);
          throw error;
        }
      }
      async reader(key) {
        return streamReader(await this.read(key));
      }
      /**
       * Stream `body` up while hashing it: a body shorter than one part is one PutObject with its
       * Content-MD5; a longer one a multipart upload whose parts (each with its Content-MD5) go up as
       * they fill, at most PARTS_IN_FLIGHT at once. A body that fails, or ends at another length than
       * `expectedSize`, aborts the upload before it completes, so the previous object stays.
       */
      async write(key, body, options = {}) {
        const target = { Bucket: this.bucket, Key: this.objectKey(key) };
        const metadata = { ...options.metadata };
        const described = { ...target, ContentType: options.contentType, Metadata: metadata };
        const hash = createHash3("md5");
        const inFlight = /* @__PURE__ */ new Set();
        const parts = [];
        let failure;
        const rethrow = () => {
          if (failure !== void 0) throw failure;
        };
        let partNumber = 0;
        let uploadId;
        let unregister = () => {
        };
        let pending2 = [];
        let filled = 0;
        let size = 0;
        const abort = async () => {
          await Promise.all(inFlight);
          await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }));
        };
        const sendPart = async (data) => {
          if (uploadId === void 0) {
            uploadId = (await this.client.send(new CreateMultipartUploadCommand(described))).UploadId;
            unregister = onInterrupt(abort);
          }
          const PartNumber = ++partNumber;
          const ContentMD5 = createHash3("md5").update(data).digest("base64");
          const sending = this.client.send(new UploadPartCommand({ ...target, UploadId: uploadId, PartNumber, Body: data, ContentMD5 })).then((sent) => void parts.push({ PartNumber, ETag: sent.ETag }), (error) => void (failure ??= error)).finally(() => inFlight.delete(sending));
          inFlight.add(sending);
          if (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
          rethrow();
        };
        try {
          for await (const data of toReadable(body)) {
            const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data);
            hash.update(chunk);
            size += chunk.length;
            let rest = chunk;
            while (filled + rest.length >= this.partSize) {
              const taken = this.partSize - filled;
              pending2.push(rest.subarray(0, taken));
              rest = rest.subarray(taken);
              const part = Buffer.concat(pending2, this.partSize);
              pending2 = [];
              filled = 0;
              await sendPart(part);
            }
            if (rest.length > 0) {
              pending2.push(rest);
              filled += rest.length;
            }
          }
          const last = Buffer.concat(pending2, filled);
          if (options.expectedSize !== void 0 && size !== options.expectedSize) throw new SizeMismatchError(key, options.expectedSize, size);
          const md5 = hash.digest("hex");
          let etag;
          if (uploadId === void 0) {
            const sent = await this.client.send(new PutObjectCommand({ ...described, Body: last, ContentLength: filled, ContentMD5: base64(md5) }));
            etag = unquote(sent.ETag);
          } else {
            if (filled > 0) await sendPart(last);
            await Promise.all(inFlight);
            rethrow();
            parts.sort((a, b) => a.PartNumber - b.PartNumber);
            const done = await this.client.send(new CompleteMultipartUploadCommand({ ...target, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
            etag = unquote(done.ETag);
          }
          await this.remember(key, { etag, size, ...plainMd5(etag) ? {} : { md5 }, metadata });
          return { key, size, md5, metadata };
        } catch (error) {
          if (uploadId !== void 0) await abort().catch(() => {
          });
          throw error;
        } finally {
          unregister();
        }
      }
      async delete(key) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
        await this.remember(key, void 0);
      }
    };
  }
});

// ../../work/main/src/reports/flat-files.ts
var flat_files_exports = {};
__export(flat_files_exports, {
  VALUE_SCALE: () => VALUE_SCALE,
  flatCsv: () => flatCsv,
  flatParquet: () => flatParquet,
  flatTable: () => flatTable
});
function flatTable(report) {
  switch (report.report) {
    case "population_stats":
      return table(report.report, [{ ...report.parameters, ...report.result }], [
        ["from_year", "int32", (row) => row.fromYear],
        ["to_year", "int32", (row) => row.toYear],
        ["count", "int32", (row) => row.count],
        ["mean", "double", (row) => row.mean],
        ["stddev", "double", (row) => row.stddev],
        ["stddev_population", "double", (row) => row.stddevPopulation],
        // Space-separated, as `report --format csv` gives them: one cell in every reader.
        ["years", "string", (row) => row.years.join(" ")],
        ["missing_years", "string", (row) => row.missingYears.join(" ")]
      ]);
    case "best_year_by_series":
      return table(report.report, report.rows, [
        SERIES_ID,
        YEAR,
        VALUE,
        ["basis", "string", (row) => row.basis],
        // Always present (null without the lookup files): the schema does not depend on the raw store.
        ["title", "string", (row) => row.title ?? null]
      ]);
    case "series_population":
      return table(report.report, report.rows, [SERIES_ID, YEAR, ["period", "string", (row) => row.period], VALUE, ["population", "int64", (row) => row.population]]);
  }
}
async function flatCsv(table3) {
  const { default: Papa2 } = await import("papaparse");
  const data = Array.from(
    { length: table3.rows },
    (_, r) => table3.columns.map(({ values }) => {
      const value = values[r];
      return typeof value === "string" ? sanitize(value) : value;
    })
  );
  return `${Papa2.unparse({ fields: table3.columns.map((c) => c.name), data }, { newline: "\n", escapeFormulae: true })}
`;
}
async function flatParquet(table3) {
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const schema = [
    { name: "root", num_children: table3.columns.length },
    ...table3.columns.map(({ name, type }) => ({ name, repetition_type: "OPTIONAL", ...SCHEMA[type] }))
  ];
  const buffer2 = parquetWriteBuffer({
    // INT64 columns take bigints (a population is a whole number; DECIMAL takes the JSON number).
    columnData: table3.columns.map(({ name, type, values }) => ({ name, data: type === "int64" ? values.map((v) => v === null ? v : BigInt(v)) : values })),
    schema,
    createdBy: "dataquest",
    kvMetadata: [{ key: "dataquest.report", value: table3.report }]
  });
  return new Uint8Array(buffer2);
}
var VALUE_SCALE, table, SERIES_ID, YEAR, VALUE, SCHEMA;
var init_flat_files = __esm({
  "../../work/main/src/reports/flat-files.ts"() {
    "use strict";
    init_sanitize();
    VALUE_SCALE = 3;
    table = (report, rows, specs) => ({
      report,
      rows: rows.length,
      columns: specs.map(([name, type, value]) => ({ name, type, values: rows.map(value) }))
    });
    SERIES_ID = ["series_id", "string", (row) => row.series_id];
    YEAR = ["year", "int32", (row) => row.year];
    VALUE = ["value", "decimal", (row) => row.value];
    SCHEMA = {
      string: { type: "BYTE_ARRAY", converted_type: "UTF8" },
      int32: { type: "INT32" },
      int64: { type: "INT64" },
      double: { type: "DOUBLE" },
      decimal: { type: "INT64", converted_type: "DECIMAL", scale: VALUE_SCALE, precision: 18 }
    };
  }
});

// ../../work/main/src/reports/html.ts
var html_exports = {};
__export(html_exports, {
  PAGE_ROWS: () => PAGE_ROWS,
  escapeHtml: () => escapeHtml,
  niceTicks: () => niceTicks,
  renderHtml: () => renderHtml
});
function niceTicks(min, max, count = 5, { integer = false } = {}) {
  if (min === max) return niceTicks(min - (integer ? 1 : Math.abs(min) * 0.1 || 1), max + (integer ? 1 : Math.abs(max) * 0.1 || 1), count, { integer });
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
  if (integer) step = Math.max(1, Math.round(step));
  const ticks = [];
  for (let tick = Math.floor(min / step) * step; tick <= max + step * 1e-9; tick += step) ticks.push(Number(tick.toPrecision(12)));
  if (ticks.at(-1) < max) ticks.push(Number((ticks.at(-1) + step).toPrecision(12)));
  return ticks;
}
function yearFrame(first, last) {
  const x = linear([first - 0.5, last + 0.5], [MARGIN.left, plotRight]);
  return { x, band: (plotRight - MARGIN.left) / (last - first + 1), years: [first, last] };
}
function xAxis({ x, years: [first, last] }, title) {
  const ticks = niceTicks(first, last, 10, { integer: true }).filter((year) => year >= first && year <= last);
  const labels = ticks.map((year) => `<text class="tick" x="${x(year)}" y="${plotBottom + 18}" text-anchor="middle">${year}</text>`);
  return [
    `<line class="axis" x1="${MARGIN.left}" y1="${plotBottom}" x2="${plotRight}" y2="${plotBottom}"/>`,
    ...labels,
    `<text class="axis-label" x="${(MARGIN.left + plotRight) / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeHtml(title)}</text>`
  ].join("");
}
function yAxis(side, ticks, y, format, title) {
  const at = side === "left" ? MARGIN.left : plotRight;
  const dx = side === "left" ? -8 : 8;
  const anchor = side === "left" ? "end" : "start";
  const parts = ticks.map(
    (tick) => (side === "left" ? `<line class="grid" x1="${MARGIN.left}" y1="${y(tick)}" x2="${plotRight}" y2="${y(tick)}"/>` : "") + `<text class="tick" x="${at + dx}" y="${y(tick) + 4}" text-anchor="${anchor}">${format(tick)}</text>`
  );
  const titleX = side === "left" ? 18 : WIDTH - 10;
  const middle = (MARGIN.top + plotBottom) / 2;
  return [
    ...parts,
    `<line class="axis" x1="${at}" y1="${MARGIN.top}" x2="${at}" y2="${plotBottom}"/>`,
    `<text class="axis-label" transform="translate(${titleX} ${middle}) rotate(-90)" text-anchor="middle">${escapeHtml(title)}</text>`
  ].join("");
}
function legend(entries) {
  let x = MARGIN.left;
  return entries.map(([swatch, text2]) => {
    const item = `<rect class="swatch key-${swatch}" x="${x}" y="8" width="12" height="12"/><text class="legend" x="${x + 17}" y="18">${escapeHtml(text2)}</text>`;
    x += 34 + text2.length * 6.6;
    return item;
  }).join("");
}
function lines(points, className) {
  const runs = [[]];
  for (const point of points) {
    if (point) runs.at(-1).push(`${point.x},${point.y}`);
    else if (runs.at(-1).length > 0) runs.push([]);
  }
  return runs.filter((run) => run.length > 1).map((run) => `<polyline class="${className}" points="${run.join(" ")}"/>`).join("");
}
function seriesChart(report, stats) {
  const { rows } = report;
  const { seriesId, period } = report.parameters;
  const label = `${seriesId} ${period}`;
  if (rows.length === 0) return `<p class="empty">No ${escapeHtml(label)} rows: nothing to draw.</p>`;
  const frame = yearFrame(rows[0].year, rows.at(-1).year);
  const { x, band } = frame;
  const values = rows.map((row) => row.value);
  const valueTicks = niceTicks(Math.min(0, ...values), Math.max(0, ...values));
  const y = linear([valueTicks[0], valueTicks.at(-1)], [plotBottom, MARGIN.top]);
  const known = rows.flatMap((row) => row.population === null ? [] : [row.population]);
  const body = [
    legend([
      ["series", `${label} value`],
      ["population", "US population"],
      ["no-population", "no population for the year"],
      ...stats ? [["mean", `mean population ${stats.parameters.fromYear}\u2013${stats.parameters.toYear}`]] : []
    ]),
    ...rows.filter((row) => row.population === null).map(
      (row) => `<rect class="no-population" data-year="${row.year}" x="${(x(row.year) - band / 2).toFixed(1)}" y="${MARGIN.top}" width="${band.toFixed(1)}" height="${plotBottom - MARGIN.top}"><title>${row.year}: no population</title></rect>`
    ),
    yAxis("left", valueTicks, y, (tick) => decimal.format(tick), `${label} value`),
    xAxis(frame, "year")
  ];
  if (valueTicks[0] < 0) body.push(`<line class="zero" x1="${MARGIN.left}" y1="${y(0)}" x2="${plotRight}" y2="${y(0)}"/>`);
  if (known.length > 0) {
    const band2 = stats && stats.result.count > 0 ? [stats.result.mean - stats.result.stddev, stats.result.mean + stats.result.stddev] : [];
    const popTicks = niceTicks(Math.min(...known, ...band2), Math.max(...known, ...band2), 5);
    const p = linear([popTicks[0], popTicks.at(-1)], [plotBottom, MARGIN.top]);
    body.push(yAxis("right", popTicks, p, (tick) => compact.format(tick), "US population"));
    if (stats && stats.result.count > 0) {
      const from = x(Math.max(stats.parameters.fromYear, frame.years[0]) - 0.5);
      const to = x(Math.min(stats.parameters.toYear, frame.years[1]) + 0.5);
      if (from < to) {
        body.push(
          `<line class="mean" x1="${from}" y1="${p(stats.result.mean)}" x2="${to}" y2="${p(stats.result.mean)}"><title>mean ${whole.format(stats.result.mean)} (${stats.parameters.fromYear}\u2013${stats.parameters.toYear})</title></line>`
        );
      }
    }
    body.push(lines(rows.map((row) => row.population === null ? null : { x: x(row.year), y: p(row.population) }), "population-line"));
    body.push(
      ...rows.flatMap(
        (row) => row.population === null ? [] : [
          `<rect class="point population-point" data-year="${row.year}" x="${x(row.year) - 4}" y="${p(row.population) - 4}" width="8" height="8"><title>${row.year}: population ${whole.format(row.population)}</title></rect>`
        ]
      )
    );
  }
  body.push(lines(rows.map((row) => ({ x: x(row.year), y: y(row.value) })), "series-line"));
  body.push(
    ...rows.map(
      (row) => `<circle class="point series-point" data-year="${row.year}" cx="${x(row.year)}" cy="${y(row.value)}" r="4"><title>${row.year}: ${decimal.format(row.value)}</title></circle>`
    )
  );
  return svg(`${label} against the US population, by year`, body);
}
function bestYearChart(report) {
  const { rows } = report;
  if (rows.length === 0) return '<p class="empty">No series: nothing to draw.</p>';
  const counts = /* @__PURE__ */ new Map();
  let first = Infinity;
  let last = -Infinity;
  for (const row of rows) {
    const count = counts.get(row.year) ?? { quarterly: 0, annual: 0 };
    count[row.basis]++;
    counts.set(row.year, count);
    first = Math.min(first, row.year);
    last = Math.max(last, row.year);
  }
  const frame = yearFrame(first, last);
  const { x, band } = frame;
  const most = Math.max(...[...counts.values()].map((c) => c.quarterly + c.annual));
  const ticks = niceTicks(0, most, 5, { integer: true });
  const y = linear([0, ticks.at(-1)], [plotBottom, MARGIN.top]);
  const width = Math.max(1, band * 0.8);
  const bars = [...counts].sort(([a], [b]) => a - b).flatMap(([year, count]) => {
    const left = (x(year) - width / 2).toFixed(1);
    const title = `${year}: ${count.quarterly + count.annual} series (${count.quarterly} on the quarterly sum, ${count.annual} on the annual average)`;
    const bar = (basis, from, n) => n === 0 ? "" : `<rect class="bar ${basis}" data-year="${year}" x="${left}" y="${y(from + n)}" width="${width.toFixed(1)}" height="${(y(from) - y(from + n)).toFixed(1)}"><title>${title}</title></rect>`;
    return [bar("quarterly", 0, count.quarterly), bar("annual", count.quarterly, count.annual)];
  });
  return svg("Series by their best year", [
    legend([
      ["quarterly", "best year by the sum of Q01\u2013Q04"],
      ["annual", "by the Q05 annual average"]
    ]),
    yAxis("left", ticks, y, (tick) => whole.format(tick), "series"),
    xAxis(frame, "best year"),
    ...bars
  ]);
}
function table2(report, options) {
  const flat = flatTable(report);
  const shown = options.allRows ? flat.rows : Math.min(flat.rows, options.limit ?? PAGE_ROWS);
  const cell = (name, value) => {
    if (value === null) return '<td class="missing">\u2014</td>';
    if (typeof value === "string") return `<td>${escapeHtml(value)}</td>`;
    const text2 = name === "value" ? String(value) : name === "population" || name === "mean" || name.startsWith("stddev") ? whole.format(value) : String(value);
    return `<td class="number">${text2}</td>`;
  };
  const head = flat.columns.map((c) => `<th${c.type === "string" ? "" : ' class="number"'}>${c.name}</th>`).join("");
  const body = Array.from({ length: shown }, (_, r) => `<tr>${flat.columns.map((c) => cell(c.name, c.values[r])).join("")}</tr>`);
  const more = flat.rows - shown;
  const note = more > 0 ? `<p class="note">The first ${whole.format(shown)} of ${whole.format(flat.rows)} rows; ${report.report}.csv and ${report.report}.parquet hold them all.</p>` : "";
  return `<table id="${report.report}-table"><thead><tr>${head}</tr></thead><tbody>${body.join("")}</tbody></table>${note}`;
}
function seriesSection(report, stats, options) {
  const { seriesId, period } = report.parameters;
  const known = report.rows.filter((row) => row.population !== null).length;
  return [
    `<section id="series_population"><h2>${escapeHtml(seriesId)} ${escapeHtml(period)} against the US population</h2>`,
    `<p class="headline">${report.rows.length} years, the population known for ${known}; shaded years have none.</p>`,
    seriesChart(report, stats),
    table2(report, options),
    inputs(report),
    "</section>"
  ].join("\n");
}
function bestYearSection(report, options) {
  const annual = report.rows.filter((row) => row.basis === "annual").length;
  return [
    `<section id="best_year_by_series"><h2>Best year of each series</h2>`,
    `<p class="headline">${whole.format(report.rows.length)} series: ${whole.format(report.rows.length - annual)} scored on the sum of Q01\u2013Q04, ${whole.format(annual)} on the Q05 annual average.</p>`,
    bestYearChart(report),
    table2(report, options),
    inputs(report),
    "</section>"
  ].join("\n");
}
function populationSection(report, options) {
  const { fromYear, toYear } = report.parameters;
  const { count, mean, stddev, missingYears } = report.result;
  const missing = missingYears.length > 0 ? ` No population for ${missingYears.join(", ")}.` : "";
  return [
    `<section id="population_stats"><h2>US population ${fromYear}\u2013${toYear}</h2>`,
    `<p class="headline">Mean ${whole.format(mean)}, standard deviation ${whole.format(stddev)} (sample, n\u22121) over ${count} years.${missing}</p>`,
    table2(report, options),
    inputs(report),
    "</section>"
  ].join("\n");
}
function renderHtml(reports, options = {}) {
  const find = (name) => reports.find((r) => r.report === name);
  const stats = find("population_stats");
  const series = find("series_population");
  const best = find("best_year_by_series");
  const sections = [
    series ? seriesSection(series, stats, options) : "",
    best ? bestYearSection(best, options) : "",
    stats ? populationSection(stats, options) : ""
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dataquest reports</title>
<style>${STYLE}</style>
</head>
<body>
<h1>dataquest reports</h1>
<p class="inputs">Written by <code>dataquest transform</code>; the JSON, CSV and Parquet files beside this page hold every row.</p>
${sections.join("\n")}
</body>
</html>
`;
}
var PAGE_ROWS, ENTITIES, escapeHtml, whole, decimal, compact, linear, WIDTH, HEIGHT, MARGIN, plotBottom, plotRight, svg, inputs, STYLE;
var init_html = __esm({
  "../../work/main/src/reports/html.ts"() {
    "use strict";
    init_sanitize();
    init_flat_files();
    PAGE_ROWS = 1e3;
    ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
    escapeHtml = (text2) => sanitize(text2).replace(/[&<>"']/g, (c) => ENTITIES[c]);
    whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
    decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
    compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
    linear = ([d0, d1], [r0, r1]) => (value) => Number((r0 + (value - d0) / (d1 - d0) * (r1 - r0)).toFixed(1));
    WIDTH = 800;
    HEIGHT = 340;
    MARGIN = { top: 30, right: 92, bottom: 56, left: 76 };
    plotBottom = HEIGHT - MARGIN.bottom;
    plotRight = WIDTH - MARGIN.right;
    svg = (label, body) => `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">${body.join("")}</svg>`;
    inputs = (report) => `<p class="inputs">From ${report.inputs.map((input) => `<code>${escapeHtml(input.key)}</code> (MD5 ${escapeHtml(input.md5.slice(0, 8))}\u2026)`).join(", ")}.</p>`;
    STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:860px;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2.2rem 0 .25rem}
.headline{margin:.2rem 0 .6rem}.inputs,.note{color:#57606a;font-size:.85rem}
svg.chart{width:100%;height:auto;display:block;margin:.5rem 0 1rem}
.axis{stroke:#57606a}.grid{stroke:#e6e8eb}.zero{stroke:#8c959f;stroke-dasharray:2 3}
.tick,.legend{font-size:12px;fill:#424a53}.axis-label{font-size:13px;fill:#1b1f24;font-weight:600}
.series-line{fill:none;stroke:#0969da;stroke-width:2}.series-point,.key-series{fill:#0969da}
.population-line{fill:none;stroke:#bc4c00;stroke-width:2}.population-point,.key-population{fill:#bc4c00}
.no-population,.key-no-population{fill:#eaeef2}.mean{stroke:#bc4c00;stroke-dasharray:6 4;stroke-width:1.5}.key-mean{fill:none;stroke:#bc4c00;stroke-dasharray:3 2}
.bar.quarterly,.key-quarterly{fill:#0969da}.bar.annual,.key-annual{fill:#8c959f}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}th,td{padding:.25rem .5rem;border-bottom:1px solid #e6e8eb;text-align:left}
th{background:#f6f8fa}.number{text-align:right;font-variant-numeric:tabular-nums}.missing{color:#8c959f;text-align:right}
`;
  }
});

// rep.ts
import { isMainThread as isMainThread2 } from "node:worker_threads";

// ../../work/main/src/stores/open.ts
import path3 from "node:path";

// ../../work/main/src/stores/folder.ts
init_is_record();
init_concurrency();
import { createReadStream, readdirSync, rmSync as rmSync2, statSync } from "node:fs";
import { appendFile, link, lstat, mkdir, open, readdir, readFile, realpath, rename, rm, stat } from "node:fs/promises";
import path2 from "node:path";
import { Readable as Readable2 } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createHash as createHash2, randomBytes as randomBytes2 } from "node:crypto";

// ../../work/main/src/util/plural.ts
var plural = (n, word, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

// ../../work/main/src/stores/folder.ts
init_cleanup();

// ../../work/main/src/stores/lock.ts
init_errors();
init_sanitize();
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
var StoreLockedError = class extends DataquestError {
  constructor(location, file, holder) {
    const who = holder ? `dataquest ${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})` : "another process (lock file unreadable)";
    super("store", sanitize(`${location} is being written by ${who}; wait for it to finish, or if no such process runs, delete ${file}`));
    this.location = location;
    this.file = file;
    this.holder = holder;
    this.name = "StoreLockedError";
  }
  location;
  file;
  holder;
};
var isHolder = (value) => {
  const holder = value;
  return typeof holder?.pid === "number" && typeof holder.host === "string" && typeof holder.startedAt === "string" && typeof holder.command === "string";
};
function readHolder(file) {
  try {
    const holder = JSON.parse(readFileSync(file, "utf8"));
    return isHolder(holder) ? holder : void 0;
  } catch {
    return void 0;
  }
}
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}
var isStale = (holder) => holder !== void 0 && holder.host === os.hostname() && !isAlive(holder.pid);
var sameHolder = (a, b) => b !== void 0 && a.pid === b.pid && a.host === b.host && a.startedAt === b.startedAt;
function acquireLock(file, options) {
  const holder = { pid: process.pid, host: os.hostname(), startedAt: (/* @__PURE__ */ new Date()).toISOString(), command: options.command };
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  writeFileSync(temp, JSON.stringify(holder) + "\n", { flag: "wx" });
  try {
    for (; ; ) {
      try {
        linkSync(temp, file);
        break;
      } catch (error) {
        if (error.code !== "EEXIST") throw error;
      }
      const current = readHolder(file);
      if (!isStale(current)) throw new StoreLockedError(options.location, file, current);
      takeOver(file, current);
      options.onWarning?.(
        `${options.location}: took over the lock of dataquest ${current.command} (pid ${current.pid}, since ${current.startedAt}), which is no longer running`
      );
    }
  } finally {
    rmSync(temp, { force: true });
  }
  return {
    file,
    holder,
    release() {
      if (sameHolder(holder, readHolder(file))) rmSync(file, { force: true });
    }
  };
}
function takeOver(file, stale) {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if (error.code === "ENOENT") return;
    throw error;
  }
  const moved = readHolder(aside);
  try {
    if (!sameHolder(stale, moved)) linkSync(aside, file);
  } finally {
    rmSync(aside, { force: true });
  }
}

// ../../work/main/src/stores/md5.ts
init_errors();
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
function md5Hex(data) {
  return createHash("md5").update(data).digest("hex");
}
var HashingStream = class extends Transform {
  hash = createHash("md5");
  bytes = 0;
  _transform(chunk, _encoding, callback) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  /** Hex digest; call once, after the stream has ended. */
  digest() {
    return this.hash.digest("hex");
  }
};

// ../../work/main/src/stores/folder.ts
init_store();
init_store();
var JOURNAL_NAME = `${MANIFEST_NAME}.journal`;
var stampOf = (info) => ({ size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, ctimeMs: info.ctimeMs });
var sameStamp = (stamp, info) => stamp.size === info.size && stamp.mtimeMs === info.mtimeMs && (stamp.ino ?? info.ino) === info.ino && (stamp.ctimeMs ?? info.ctimeMs) === info.ctimeMs;
var tempName = (target) => path2.join(path2.dirname(target), `.${path2.basename(target)}.${randomBytes2(6).toString("hex")}.tmp`);
async function openForWriting(file, folderExists) {
  if (folderExists) {
    try {
      return await open(file, "w");
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
  }
  await mkdir(path2.dirname(file), { recursive: true });
  return open(file, "w");
}
async function writeAtomically(target, body, expectedSize, key = path2.basename(target), folderExists = false) {
  const temp = tempName(target);
  const unregister = onInterrupt(() => rmSync2(temp, { force: true }));
  try {
    let written;
    const handle = await openForWriting(temp, folderExists);
    if (body instanceof Readable2) {
      const hashing = new HashingStream();
      await pipeline(body, hashing, handle.createWriteStream());
      written = { md5: hashing.digest(), size: hashing.bytes };
    } else {
      const bytes = typeof body === "string" ? Buffer.from(body) : body;
      try {
        await handle.writeFile(bytes);
      } finally {
        await handle.close();
      }
      written = { md5: md5Hex(bytes), size: bytes.length };
    }
    if (expectedSize !== void 0 && written.size !== expectedSize) {
      throw new SizeMismatchError(key, expectedSize, written.size);
    }
    await rename(temp, target);
    return written;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    unregister();
  }
}
async function stage(target, body, expectedSize, key = path2.basename(target)) {
  await mkdir(path2.dirname(target), { recursive: true });
  const temp = tempName(target);
  const unregister = onInterrupt(() => rmSync2(temp, { force: true }));
  const hashing = new HashingStream();
  try {
    const handle = await open(temp, "w");
    await pipeline(body, hashing, handle.createWriteStream());
    if (expectedSize !== void 0 && hashing.bytes !== expectedSize) {
      throw new SizeMismatchError(key, expectedSize, hashing.bytes);
    }
    return { target, temp, md5: hashing.digest(), size: hashing.bytes, unregister };
  } catch (error) {
    await rm(temp, { force: true });
    unregister();
    throw error;
  }
}
async function discard(staged) {
  await rm(staged.temp, { force: true });
  staged.unregister();
}
async function commitAll(staged) {
  const done = [];
  try {
    for (const file of staged) {
      const previous = tempName(file.target);
      const kept = await link(file.target, previous).then(
        () => true,
        (error) => {
          if (error.code === "ENOENT") return false;
          throw error;
        }
      );
      const entry = { staged: file, previous: kept ? previous : void 0 };
      done.push(entry);
      await rename(file.temp, file.target);
    }
  } catch (error) {
    for (const { staged: file, previous } of done.reverse()) {
      if (previous) await rename(previous, file.target);
      else await rm(file.target, { force: true });
    }
    throw error;
  } finally {
    await Promise.all(done.map(({ previous }) => previous ? rm(previous, { force: true }) : void 0));
    await Promise.all(staged.map(discard));
  }
}
function sweepTemps(root) {
  const swept = { files: 0, bytes: 0 };
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !TEMP_NAME.test(entry.name)) continue;
    const file = path2.join(entry.parentPath, entry.name);
    swept.bytes += statSync(file).size;
    rmSync2(file, { force: true });
    swept.files++;
  }
  return swept;
}
function manifestProblem(value) {
  if (!isRecord(value)) return `it holds ${value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`}, not an object`;
  for (const [key, entry] of Object.entries(value)) {
    if (!isEntry(entry)) return `its entry for ${JSON.stringify(key)} is not {size, mtimeMs, md5, metadata}`;
  }
  return void 0;
}
var isOptionalNumber = (value) => value === void 0 || typeof value === "number";
function isEntry(entry) {
  return isRecord(entry) && typeof entry.size === "number" && typeof entry.mtimeMs === "number" && isOptionalNumber(entry.ino) && isOptionalNumber(entry.ctimeMs) && typeof entry.md5 === "string" && isRecord(entry.metadata) && Object.values(entry.metadata).every((v) => typeof v === "string");
}
function replayJournal(manifest, text2) {
  let applied = 0;
  for (const line of text2.split("\n")) {
    let change;
    try {
      change = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(change) || typeof change[0] !== "string" || !(change[1] === null || isEntry(change[1]))) continue;
    if (change[1] === null) delete manifest[change[0]];
    else manifest[change[0]] = change[1];
    applied++;
  }
  return applied;
}
var HashCache = class {
  constructor(file) {
    this.file = file;
  }
  file;
  entries;
  dirty = false;
  load() {
    this.entries ??= readFile(this.file, "utf8").then((text2) => {
      const parsed = JSON.parse(text2);
      return isRecord(parsed) && isRecord(parsed.entries) ? parsed.entries : {};
    }).catch(() => ({}));
    return this.entries;
  }
  async get(key, info) {
    const entry = (await this.load())[key];
    return entry && sameStamp(entry, info) && typeof entry.md5 === "string" ? entry.md5 : void 0;
  }
  async set(key, info, md5) {
    if (Date.now() - info.mtimeMs < RACY_MS) return;
    (await this.load())[key] = { ...stampOf(info), md5 };
    this.dirty = true;
  }
  /** Save it, keeping only `keys` when the whole folder was listed. Best effort: a cache that cannot be saved costs hashing next time. */
  async save(root, keys) {
    const entries = await this.load();
    if (keys) {
      const kept = new Set(keys);
      for (const key of Object.keys(entries)) {
        if (!kept.has(key)) {
          delete entries[key];
          this.dirty = true;
        }
      }
    }
    if (!this.dirty) return;
    this.dirty = false;
    await writeAtomically(this.file, JSON.stringify({ version: 1, root, entries })).catch(() => {
    });
  }
};
var RACY_MS = 2e3;
async function md5OfFile(file) {
  const hash = createHash2("md5");
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest("hex");
}
var megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
var LIST_CONCURRENCY = 16;
var FolderStore = class {
  constructor(root, options = {}) {
    this.root = root;
    this.location = root;
    this.warn = options.onWarning ?? (() => {
    });
    if (options.hashCache) {
      this.hashCache = new HashCache(path2.join(options.hashCache, `${createHash2("sha256").update(path2.resolve(root)).digest("hex").slice(0, 32)}.json`));
    }
  }
  root;
  location;
  manifest;
  /** Serialises journal appends and manifest saves: writes run concurrently but the bookkeeping is two files. */
  journalQueue = Promise.resolve();
  /** Journal lines waiting for the append under way to finish (appended together: a group commit). */
  batch;
  /** Lines in the journal file (replayed or appended) not yet folded into the manifest. */
  journalLines = 0;
  /** Where a damaged manifest goes before the rebuilt one replaces it. */
  damagedAside;
  /** Holding the lock: a damaged manifest is repaired on sight, not only worked around. */
  writer = false;
  /** Writes and deletes completed (for the interrupt message). */
  changes = 0;
  warn;
  hashCache;
  /** Folders checked to lie inside the root (a symbolic link may lead elsewhere). */
  checkedFolders = /* @__PURE__ */ new Map();
  /** Folders this store created or wrote into: no mkdir per file (one removed behind our back fails that write, and is made again on the next). */
  madeFolders = /* @__PURE__ */ new Set();
  /** Keys in the manifest: the journal is folded in once it holds more lines than this (Object.keys per append was quadratic). */
  entries = 0;
  filePath(key) {
    assertSafeKey(key);
    return path2.join(this.root, ...key.split("/"));
  }
  get manifestFile() {
    return path2.join(this.root, MANIFEST_NAME);
  }
  get journalFile() {
    return path2.join(this.root, JOURNAL_NAME);
  }
  /** The manifest, read once (concurrent callers share the read), with its journal replayed. */
  loadManifest() {
    this.manifest ??= (async () => {
      const manifest = await this.readManifest();
      const journal = await readFile(this.journalFile, "utf8").catch((error) => {
        if (error.code === "ENOENT") return "";
        throw error;
      });
      this.journalLines = replayJournal(manifest, journal);
      this.entries = Object.keys(manifest).length;
      if (this.damagedAside && this.writer) await this.saveManifest(manifest);
      return manifest;
    })().catch((error) => {
      this.manifest = void 0;
      throw error;
    });
    return this.manifest;
  }
  async readManifest() {
    let text2;
    try {
      text2 = await readFile(this.manifestFile, "utf8");
    } catch (error) {
      if (error.code === "ENOENT") return {};
      throw error;
    }
    let problem;
    try {
      const parsed = JSON.parse(text2);
      problem = manifestProblem(parsed);
      if (problem === void 0) return parsed;
    } catch (error) {
      problem = `not JSON: ${error.message}`;
    }
    const manifest = await this.rebuild();
    const aside = `${MANIFEST_NAME}.damaged-${(/* @__PURE__ */ new Date()).toISOString().replaceAll(":", "")}`;
    this.damagedAside = aside;
    const what = `${this.manifestFile} is damaged (${problem})`;
    const files = plural(Object.keys(manifest).length, "file");
    if (this.writer) {
      this.warn(`${what}: set it aside as ${aside} and rebuilt it from the ${files} here (hashed); the metadata kept with them is lost`);
    } else {
      this.warn(`${what}: ignored it, hashing the ${files} here instead (their kept metadata is lost); the next command that writes this store rebuilds it`);
    }
    return manifest;
  }
  /** A manifest of the files as they are: hashed, without metadata. */
  async rebuild() {
    const keys = await this.keys();
    const entries = await mapLimit(keys, LIST_CONCURRENCY, async (key) => {
      const file = this.filePath(key);
      const info = await stat(file);
      return [key, { ...stampOf(info), md5: await md5OfFile(file), metadata: {} }];
    });
    return Object.fromEntries(entries);
  }
  /** Write the manifest in key order, first setting a damaged one aside; its journal is then folded in. */
  async saveManifest(manifest) {
    if (this.damagedAside) {
      await rename(this.manifestFile, path2.join(this.root, this.damagedAside));
      this.damagedAside = void 0;
    }
    const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a < b ? -1 : 1));
    await writeAtomically(this.manifestFile, `${JSON.stringify(sorted, null, 1)}
`);
    await rm(this.journalFile, { force: true });
    this.journalLines = 0;
  }
  /**
   * Record `key`'s entry (undefined: gone): in memory at once, then in the journal, appended
   * together with the other writes that finished meanwhile. Folded into the manifest once the
   * journal outgrows it, so a long run's journal stays as small as the manifest.
   */
  async record(key, entry) {
    const manifest = await this.loadManifest();
    this.entries += (entry ? 1 : 0) - (key in manifest ? 1 : 0);
    if (entry) manifest[key] = entry;
    else delete manifest[key];
    const line = `${JSON.stringify([key, entry ?? null])}
`;
    if (this.batch) {
      this.batch.lines.push(line);
      return this.batch.done;
    }
    const lines2 = [line];
    const done = this.journalQueue.then(async () => {
      this.batch = void 0;
      await appendFile(this.journalFile, lines2.join(""));
      this.journalLines += lines2.length;
      if (this.journalLines > Math.max(1e3, this.entries)) await this.saveManifest(manifest);
    });
    this.batch = { lines: lines2, done };
    this.journalQueue = done.catch(() => {
    });
    return done;
  }
  /** Fold the journal into the manifest (and save a rebuilt one). */
  flush() {
    const done = this.journalQueue.then(async () => {
      if (this.manifest === void 0) return;
      const manifest = await this.manifest;
      if (this.journalLines > 0 || this.damagedAside) await this.saveManifest(manifest);
    });
    this.journalQueue = done.catch(() => {
    });
    return done;
  }
  async describe(key, file, hashUnknown = true) {
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      if (error.code === "ENOENT") return void 0;
      throw error;
    }
    if (!info.isFile()) return void 0;
    const entry = (await this.loadManifest())[key];
    if (entry && sameStamp(entry, info)) {
      return { key, size: info.size, md5: entry.md5, metadata: { ...entry.metadata } };
    }
    if (!hashUnknown) return { key, size: info.size, metadata: {} };
    const cached = entry ? void 0 : await this.hashCache?.get(key, info);
    const md5 = cached ?? await md5OfFile(file);
    if (entry?.md5 === md5) {
      const refreshed = { ...entry, ...stampOf(info) };
      if (this.writer) await this.record(key, refreshed);
      else (await this.loadManifest())[key] = refreshed;
      return { key, size: info.size, md5, metadata: { ...entry.metadata } };
    }
    if (!entry && cached === void 0) await this.hashCache?.set(key, info, md5);
    return { key, size: info.size, md5, metadata: {} };
  }
  /** Every object's key, sorted: the files under the root but our bookkeeping. */
  async keys(prefix = "") {
    let entries;
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (error.code === "ENOENT") return [];
      throw error;
    }
    return entries.filter((entry) => entry.isFile() && !isInternalName(entry.name)).map((entry) => path2.relative(this.root, path2.join(entry.parentPath, entry.name)).split(path2.sep).join("/")).filter((key) => key.startsWith(prefix)).sort();
  }
  async list(prefix = "") {
    const keys = await this.keys(prefix);
    const objects = await mapLimit(keys, LIST_CONCURRENCY, (key) => this.describe(key, this.filePath(key)));
    await this.hashCache?.save(this.root, prefix === "" ? keys : void 0);
    return objects.filter((object) => object !== void 0);
  }
  stat(key, options = {}) {
    return this.describe(key, this.filePath(key), options.hash);
  }
  /**
   * Refuse a folder of the store that is a symbolic link leading outside it: writes through it
   * would land elsewhere (and, never listed back, be written again on every run).
   */
  insideRoot(folder, key) {
    let checked = this.checkedFolders.get(folder);
    if (!checked) {
      checked = (async () => {
        if (folder === this.root) return;
        await this.insideRoot(path2.dirname(folder), key);
        const info = await lstat(folder).catch((error) => {
          if (error.code === "ENOENT") return void 0;
          throw error;
        });
        if (!info?.isSymbolicLink()) return;
        const [target, root] = await Promise.all([realpath(folder), realpath(this.root)]);
        if (target !== root && !target.startsWith(root + path2.sep)) {
          throw new Error(`${key}: ${folder} is a symbolic link to ${target}, outside the store ${this.location}; refusing to write through it (replace the link with a folder)`);
        }
      })();
      this.checkedFolders.set(folder, checked);
      checked.catch(() => this.checkedFolders.delete(folder));
    }
    return checked;
  }
  async read(key, options = {}) {
    return (await this.openFile(key)).createReadStream({ highWaterMark: options.chunkBytes ?? 16 * 1024 });
  }
  async reader(key) {
    const handle = await this.openFile(key);
    return {
      read: async (into) => (await handle.read(into, 0, into.length, null)).bytesRead,
      close: () => handle.close()
    };
  }
  async openFile(key) {
    const handle = await open(this.filePath(key), "r").catch((error) => {
      throw error.code === "ENOENT" ? new NotFoundError(this.location, key) : error;
    });
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new NotFoundError(this.location, key);
    }
    return handle;
  }
  async write(key, body, options = {}) {
    const file = this.filePath(key);
    const folder = path2.dirname(file);
    await this.insideRoot(folder, key);
    const { md5, size } = await writeAtomically(file, body, options.expectedSize, key, this.madeFolders.has(folder)).catch((error) => {
      throw error.code !== void 0 && error.syscall !== void 0 ? new StoreWriteError(key, file, error) : error;
    });
    this.madeFolders.add(folder);
    this.changes++;
    const metadata = { ...options.metadata };
    try {
      await this.record(key, { ...stampOf(await stat(file)), md5, metadata });
    } catch (error) {
      throw new UnrecordedWriteError(key, error);
    }
    return { key, size, md5, metadata };
  }
  /**
   * Write the files as one set: all are staged first (a full disk fails here, before any is
   * visible, and every temp file is removed), then renamed into place together (commitAll), then
   * recorded in the journal.
   */
  async writeAll(files) {
    const targets = files.map(({ key }) => this.filePath(key));
    await Promise.all(files.map(({ key }, i) => this.insideRoot(path2.dirname(targets[i]), key)));
    const settled = await Promise.allSettled(files.map(({ key, body, options }, i) => stage(targets[i], toReadable(body), options?.expectedSize, key)));
    const staged = settled.flatMap((result) => result.status === "fulfilled" ? [result.value] : []);
    const failed = settled.find((result) => result.status === "rejected");
    if (failed) {
      await Promise.all(staged.map(discard));
      throw failed.reason;
    }
    await commitAll(staged);
    this.changes += files.length;
    const written = files.map(({ key, options }, i) => ({ key, size: staged[i].size, md5: staged[i].md5, metadata: { ...options?.metadata } }));
    try {
      const stamps = await Promise.all(targets.map(async (file) => stampOf(await stat(file))));
      await Promise.all(written.map(({ key, md5, metadata }, i) => this.record(key, { ...stamps[i], md5, metadata })));
    } catch (error) {
      throw new UnrecordedWriteError(files.map(({ key }) => key).join(", "), error);
    }
    return written;
  }
  async delete(key) {
    const file = this.filePath(key);
    await this.insideRoot(path2.dirname(file), key);
    await rm(file, { force: true });
    this.changes++;
    await this.record(key, void 0);
  }
  /**
   * Take the store's lock (`.dataquest-lock` in its root), then sweep the temp files a killed
   * writer left (ours by name, and no live writer can own them once we hold the lock) and repair a
   * damaged manifest. An interrupt sweeps again and releases.
   */
  async lockForWriting(command) {
    await mkdir(this.root, { recursive: true });
    const lock = acquireLock(path2.join(this.root, LOCK_NAME), { location: this.location, command, onWarning: this.warn });
    const unregister = onInterrupt(() => {
      try {
        sweepTemps(this.root);
      } finally {
        lock.release();
      }
    });
    const release = () => {
      unregister();
      lock.release();
    };
    try {
      const swept = sweepTemps(this.root);
      if (swept.files > 0) {
        this.warn(`${this.location}: removed ${plural(swept.files, "temp file")} (${megabytes(swept.bytes)}) left by an interrupted writer`);
      }
      this.writer = true;
      this.manifest = void 0;
      await this.loadManifest();
    } catch (error) {
      release();
      throw error;
    }
    const changesBefore = this.changes;
    const changes = () => this.changes - changesBefore;
    return {
      get changes() {
        return changes();
      },
      release: () => {
        this.writer = false;
        release();
      }
    };
  }
};

// ../../work/main/src/stores/open.ts
init_s3_location();
function openStore(location, options = {}) {
  if (isS3Location(location)) return lazyS3Store(location, options);
  return new FolderStore(path3.resolve(location), options);
}
function lazyS3Store(location, options) {
  const { bucket, prefix } = parseS3Location(location);
  let loading;
  const s3 = () => loading ??= Promise.all([Promise.resolve().then(() => (init_clients(), clients_exports)), Promise.resolve().then(() => (init_s3(), s3_exports))]).then(
    ([aws, { S3Store: S3Store2 }]) => new S3Store2(aws.createS3Client(options), location, options)
  );
  return {
    location: `s3://${bucket}/${prefix}`,
    list: async (keyPrefix) => (await s3()).list(keyPrefix),
    stat: async (key) => (await s3()).stat(key),
    // S3 never hashes: the options do not apply
    read: async (key) => (await s3()).read(key),
    // S3 chunks are the network's: chunkBytes does not apply
    reader: async (key) => (await s3()).reader(key),
    write: async (key, body, writeOptions) => (await s3()).write(key, body, writeOptions),
    delete: async (key) => (await s3()).delete(key),
    // Nothing to save when the store was never used.
    flush: async () => loading ? (await loading).flush() : void 0
  };
}

// ../../work/main/src/transform/index.ts
import { availableParallelism } from "node:os";
import { buffer } from "node:stream/consumers";

// ../../work/main/src/reports/store.ts
init_store();

// ../../work/main/src/reports/types.ts
var REPORT_CHOICES = {
  population: "population_stats",
  "best-year": "best_year_by_series",
  series: "series_population"
};
var REPORT_NAMES = Object.values(REPORT_CHOICES);
var reportKey = (name) => `${name}.json`;

// ../../work/main/src/reports/parse.ts
init_is_record();
init_errors();

// ../../work/main/src/reports/store.ts
init_errors();
var serializeReport = (report) => `${JSON.stringify(report, null, 2)}
`;
var PAGE_KEY = "report.html";
async function reportFiles(reports) {
  const [{ flatCsv: flatCsv2, flatParquet: flatParquet2, flatTable: flatTable2 }, { renderHtml: renderHtml2 }] = await Promise.all([Promise.resolve().then(() => (init_flat_files(), flat_files_exports)), Promise.resolve().then(() => (init_html(), html_exports))]);
  const flat = [];
  for (const report of reports) {
    const table3 = flatTable2(report);
    const base = report.report;
    flat.push(
      { key: `${base}.csv`, body: await flatCsv2(table3), contentType: "text/csv; charset=utf-8" },
      { key: `${base}.parquet`, body: await flatParquet2(table3), contentType: "application/vnd.apache.parquet" }
    );
  }
  const page = { key: PAGE_KEY, body: renderHtml2(reports), contentType: "text/html; charset=utf-8" };
  const json = reports.map((report) => ({ key: reportKey(report.report), body: serializeReport(report), contentType: "application/json" }));
  return [...flat, page, ...json];
}
async function writeReports(processed, reports, { dryRun = false } = {}) {
  const files = await reportFiles(reports);
  const results = await Promise.all(
    files.map(async (file) => {
      const md5 = md5Hex(file.body);
      const size = Buffer.byteLength(file.body);
      const unchanged = (await processed.stat(file.key))?.md5 === md5;
      return { key: file.key, status: unchanged ? "unchanged" : dryRun ? "would write" : "written", md5, size };
    })
  );
  const changed = files.filter((_, i) => results[i].status === "written");
  const writes = changed.map(({ key, body, contentType }) => ({ key, body, options: { contentType } }));
  if (writes.length === 0) return results;
  await writeBatch(processed, async () => {
    if (processed.writeAll) await processed.writeAll(writes);
    else for (const { key, body, options } of writes) await processed.write(key, body, options);
  });
  return results;
}
var MAX_REPORT_BYTES = 64 * 1024 * 1024;

// ../../work/main/src/sources/population.ts
init_is_record();
init_sanitize();

// ../../work/main/src/sources/population-rows.ts
init_is_record();
function yearOf(row) {
  const candidate = row["ID Year"] ?? row.Year;
  const year = typeof candidate === "string" && /^\d{4}$/.test(candidate.trim()) ? Number(candidate) : candidate;
  return typeof year === "number" && Number.isInteger(year) ? year : void 0;
}
function populationRows(json, fail) {
  const data = isRecord(json) ? json.data : void 0;
  if (!Array.isArray(data)) throw fail('has no "data" array');
  return data.map((row, index) => {
    const record = isRecord(row) ? row : {};
    const year = yearOf(record);
    if (year === void 0) throw fail(`data[${index}] has no year: ${JSON.stringify(row).slice(0, 120)}`);
    const population = record.Population ?? null;
    if (population !== null && !(typeof population === "number" && Number.isSafeInteger(population) && population >= 0)) {
      throw fail(`data[${index}] has Population ${JSON.stringify(population)}, expected a whole number`);
    }
    return { year, population };
  });
}
function populationByYear(rows, fail) {
  const byYear = /* @__PURE__ */ new Map();
  for (const { year, population } of rows) {
    if (byYear.has(year)) {
      const count = rows.filter((row) => row.year === year).length;
      throw fail(`has ${count} rows for ${year}: a drilldown other than Nation (State, County\u2026); fetch the Year,Nation drilldown`);
    }
    byYear.set(year, population);
  }
  return byYear;
}

// ../../work/main/src/sources/population.ts
init_errors();
var STATS_YEARS = { from: 2013, to: 2018 };
var MAX_POPULATION_BYTES = 16 * 1024 * 1024;

// ../../work/main/src/stores/raw-layout.ts
var BLS_ROOT_PREFIX = "bls/";
var blsPrefix = (survey) => `${BLS_ROOT_PREFIX}${survey}/`;
var BLS_PREFIX = blsPrefix("pr");
var POPULATION_PREFIX = "datausa/";
var POPULATION_KEY = `${POPULATION_PREFIX}population.json`;

// ../../work/main/src/transform/index.ts
init_store();

// ../../work/main/src/transform/series-sums.ts
function yearIndex(sums, year) {
  for (let i = sums.length - 2; i >= 0; i -= 2) if (sums[i] === year) return i;
  return -1;
}
function* yearSums(sums) {
  for (let i = 0; i < sums.length; i += 2) yield [sums[i], sums[i + 1]];
}
var BLOCK = 1 << 17;
function entryAt(blocks, position) {
  const block = blocks[Math.floor(position / BLOCK)];
  const at = position % BLOCK;
  const quarterlyEnd = at + 2 + block[at];
  return { quarterly: block.subarray(at + 2, quarterlyEnd), annual: block.subarray(quarterlyEnd, quarterlyEnd + block[at + 1]) };
}
var SeriesPacker = class {
  ids = [];
  positions = [];
  blocks = [];
  /** Numbers used in the last block. */
  used = BLOCK;
  entryOf = /* @__PURE__ */ new Map();
  /** Pack a finished series' sums. */
  add(id, { quarterly, annual }) {
    const size = 2 + quarterly.length + annual.length;
    if (this.used + size > BLOCK) {
      this.blocks.push(new Float64Array(BLOCK));
      this.used = 0;
    }
    const block = this.blocks.at(-1);
    const at = this.used;
    block[at] = quarterly.length;
    block[at + 1] = annual.length;
    block.set(quarterly, at + 2);
    block.set(annual, at + 2 + quarterly.length);
    this.entryOf.set(id, this.ids.length);
    this.ids.push(id);
    this.positions.push((this.blocks.length - 1) * BLOCK + at);
    this.used += size;
  }
  /**
   * The sums of a series packed earlier, taken back to add to (its rows reappear further on, in a
   * file not sorted by series); undefined for a series not seen yet. Each id has one entry at most,
   * so the sums keep adding up in one place, exactly as they would in a single array.
   */
  takeBack(id) {
    const entry = this.entryOf.get(id);
    if (entry === void 0) return void 0;
    this.entryOf.delete(id);
    this.ids[entry] = "";
    const { quarterly, annual } = entryAt(this.blocks, this.positions[entry]);
    return { quarterly: Array.from(quarterly), annual: Array.from(annual) };
  }
  packed() {
    return { ids: this.ids.join("\n"), positions: Float64Array.from(this.positions), blocks: this.blocks };
  }
};
function addSums(into, sums) {
  const added = Array.from(into);
  for (let i = 0; i < sums.length; i += 2) {
    const index = yearIndex(added, sums[i]);
    if (index === -1) added.push(sums[i], sums[i + 1]);
    else added[index + 1] += sums[i + 1];
  }
  return added;
}
var MergedSeries = class {
  blocks = [];
  entries = /* @__PURE__ */ new Map();
  add({ ids, positions, blocks }) {
    const base = this.blocks.length * BLOCK;
    for (const block of blocks) this.blocks.push(block);
    ids.split("\n").forEach((id, entry) => {
      if (id === "") return;
      const position = base + positions[entry];
      const seen = this.get(id);
      if (!seen) {
        this.entries.set(id, position);
        return;
      }
      const sums = entryAt(this.blocks, position);
      this.entries.set(id, { quarterly: addSums(seen.quarterly, sums.quarterly), annual: addSums(seen.annual, sums.annual) });
    });
  }
  get size() {
    return this.entries.size;
  }
  keys() {
    return this.entries.keys();
  }
  get(id) {
    const entry = this.entries.get(id);
    return typeof entry === "number" ? entryAt(this.blocks, entry) : entry;
  }
  *[Symbol.iterator]() {
    for (const id of this.entries.keys()) yield [id, this.get(id)];
  }
};

// ../../work/main/src/transform/decimal.ts
var DECIMALS = 3;
var SCALE = 10 ** DECIMALS;
var MAX_SCALED_VALUE = 1e15;
function formatScaled(scaled) {
  const sign = scaled < 0 ? "-" : "";
  const magnitude = Math.abs(scaled);
  const whole2 = Math.floor(magnitude / SCALE);
  const fraction = String(magnitude % SCALE).padStart(DECIMALS, "0").replace(/0+$/, "");
  return `${sign}${whole2}${fraction ? `.${fraction}` : ""}`;
}
var scaledToNumber = (scaled) => Number(formatScaled(scaled));

// ../../work/main/src/transform/build.ts
function bestOf(sums) {
  let best;
  for (const [year, sum] of yearSums(sums)) {
    if (!best || sum > best.sum || sum === best.sum && year < best.year) best = { year, sum };
  }
  return best;
}
function bestYearRows(series, titles) {
  return [...series.keys()].sort().map((id) => {
    const totals = series.get(id);
    const basis = totals.quarterly.length > 0 ? "quarterly" : "annual";
    const best = bestOf(basis === "quarterly" ? totals.quarterly : totals.annual);
    const row = { series_id: id, year: best.year, value: scaledToNumber(best.sum), basis };
    const title = titles.get(id);
    if (title !== void 0) row.title = title;
    return row;
  });
}
var bestYearReport = (dataFile, inputs2, rows) => ({
  report: "best_year_by_series",
  parameters: { dataFile },
  inputs: inputs2,
  rows
});
var populationStatsReport = (fromYear, toYear, inputs2, stats) => ({
  report: "population_stats",
  parameters: { fromYear, toYear },
  inputs: inputs2,
  result: {
    count: stats.count,
    mean: stats.mean,
    stddev: stats.stddev,
    stddevPopulation: stats.stddevPopulation,
    years: stats.years,
    missingYears: stats.missingYears
  }
});
function seriesPopulationReport(seriesId, period, inputs2, picked, population) {
  const rows = [...picked].sort((a, b) => a.year - b.year || a.value - b.value).map(({ year, value }) => ({ series_id: seriesId, year, period, value: scaledToNumber(value), population: population.get(year) ?? null }));
  return { report: "series_population", parameters: { seriesId, period }, inputs: inputs2, rows };
}

// ../../work/main/src/transform/parallel-scan.ts
import { createHash as createHash5 } from "node:crypto";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

// ../../work/main/src/transform/bls-data.ts
import { createHash as createHash4 } from "node:crypto";
init_errors();
var REQUIRED_COLUMNS = ["series_id", "year", "period", "value"];
var ANNUAL_PERIOD = 5;
var MAX_LINE_BYTES = 1024 * 1024;
var TAB = 9;
var LF = 10;
var CR = 13;
var SPACE = 32;
var MINUS = 45;
var PLUS = 43;
var DOT = 46;
var ZERO = 48;
var Q = 81;
var DataFileError = class extends DataquestError {
  constructor(message) {
    super("input", message);
    this.name = "DataFileError";
  }
};
function parseHeader(header, key) {
  const names = header.replace(/^\uFEFF/, "").split("	").map((name) => name.trim());
  const missing = REQUIRED_COLUMNS.filter((column) => !names.includes(column));
  if (missing.length > 0) {
    throw new DataFileError(
      `${key}: header lacks ${missing.join(", ")} (found: ${names.filter(Boolean).join(", ") || "nothing"}); a BLS data file starts with series_id, year, period, value`
    );
  }
  return REQUIRED_COLUMNS.map((column) => names.indexOf(column));
}
var isBlank = (byte) => byte <= SPACE && byte !== TAB;
var QUICK_LINE_BYTES = 256;
var SCALE_UP = [1e3, 100, 10, 1];
var OTHER = 0;
var SERIES = 1;
var YEAR2 = 2;
var PERIOD = 3;
var VALUE2 = 4;
var KIND_OF_REQUIRED = [SERIES, YEAR2, PERIOD, VALUE2];
var BLANKS = /^[\x00-\x08\x0a-\x20]+|[\x00-\x08\x0a-\x20]+$/g;
var trimBlanks = (text2) => text2.replace(BLANKS, "");
var BLANK_LINE = /^[\t\n\v\f\r ]*$/;
var UNICODE_SPACE = /[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
var EDGE_UNICODE_SPACE = new RegExp(`^${UNICODE_SPACE.source}|${UNICODE_SPACE.source}$`);
function unicodeSpace(text2) {
  const found = UNICODE_SPACE.exec(text2);
  return found ? `U+${found[0].codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}` : void 0;
}
var VALUE_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
function fieldProblem(column, text2) {
  if (column === "series_id") {
    if (text2 === "") return "series_id is empty";
    return EDGE_UNICODE_SPACE.test(text2) ? `series_id ${JSON.stringify(text2)} has ${unicodeSpace(text2)} at an edge, a space that is not trimmed` : void 0;
  }
  const problem = valueProblem(column, text2);
  const space = problem && unicodeSpace(text2);
  return space ? `${problem} (it holds ${space}, a space that is not trimmed)` : problem;
}
function valueProblem(column, text2) {
  const quoted = JSON.stringify(text2);
  switch (column) {
    case "year":
      return /^\d{4}$/.test(text2) ? void 0 : `year ${quoted} is not a year`;
    case "period":
      return /^Q0[1-5]$/.test(text2) ? void 0 : `period ${quoted} is not Q01\u2013Q05`;
    case "value":
      if (!VALUE_PATTERN.test(text2)) return `value ${quoted} is not a decimal number`;
      if ((text2.split(".")[1] ?? "").length > DECIMALS) return `value ${quoted} has more than ${DECIMALS} decimals`;
      return Math.abs(Number(text2)) * SCALE >= MAX_SCALED_VALUE ? `value ${quoted} is out of range` : void 0;
  }
}
var DataFileScanner = class {
  constructor(options) {
    this.options = options;
    if (options.header !== void 0) this.useHeader(options.header);
  }
  options;
  picked = [];
  samples = [];
  rejectedCount = 0;
  rows = 0;
  line = 0;
  columns;
  /** Highest column index needed, and what each column up to it holds. */
  lastColumn = 0;
  kinds = new Uint8Array(0);
  /** series_id, year, period and value are the first four columns, in that order (as in every BLS file): quickLine applies. */
  standardColumns = false;
  /** The last value readValue read. */
  value = 0;
  carry;
  // The file is sorted by series, so the previous row's series is nearly always the next one's.
  previousField = Buffer.alloc(0);
  /** Its first bytes as little-endian 32-bit words: quickLine compares four bytes at a time. */
  previousWords = new Int32Array(0);
  /** The series in hand, as arrays; the others are packed. */
  current;
  currentId = "";
  packer = new SeriesPacker();
  currentIsPicked = false;
  runningSums;
  runningYear = 0;
  runningIndex = 0;
  running = 0;
  /** Largest magnitude any running sum reached: bounds the sums of pieces scanned apart (parallel-scan.ts). */
  maxAbsSum = 0;
  push(chunk) {
    let start = 0;
    if (this.carry) {
      const newline = chunk.indexOf(LF);
      if (newline === -1) {
        this.carry = Buffer.concat([this.carry, chunk]);
        this.checkLength(this.carry.length);
        return;
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, newline)]);
      this.carry = void 0;
      this.checkLength(joined.length);
      this.scanLine(joined, 0, joined.length);
      start = newline + 1;
    }
    const words = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    for (; ; ) {
      const next = this.standardColumns ? this.quickLine(chunk, words, start) : -1;
      if (next !== -1) {
        start = next;
        continue;
      }
      const newline = chunk.indexOf(LF, start);
      if (newline === -1) break;
      this.checkLength(newline - start);
      this.scanLine(chunk, start, newline);
      start = newline + 1;
    }
    if (start < chunk.length) {
      this.carry = Buffer.from(chunk.subarray(start));
      this.checkLength(this.carry.length);
    }
  }
  /** Scan a last line that has no line end; the next push starts a new line. */
  finishLine() {
    if (this.carry) this.scanLine(this.carry, 0, this.carry.length);
    this.carry = void 0;
    this.storeRunningSum();
  }
  /**
   * The line count, rejected rows and picked rows since the last call, which then start again:
   * the parallel scan gives a worker pieces of the file in any order and puts them back in order.
   */
  takePiece() {
    const piece = { lines: this.line, rejectedCount: this.rejectedCount, samples: this.samples.splice(0), picked: this.picked.splice(0) };
    this.line = 0;
    this.rejectedCount = 0;
    return piece;
  }
  end() {
    this.finishLine();
    if (this.columns === void 0) throw new DataFileError(`${this.options.key} is empty: no header line`);
    if (this.rows === 0) throw new DataFileError(`${this.options.key} has no usable data rows; the previous reports were kept`);
  }
  checkLength(length) {
    if (length > MAX_LINE_BYTES) {
      throw new DataFileError(`${this.options.key}: line ${this.line + 1} is longer than ${MAX_LINE_BYTES} bytes; not a BLS data file`);
    }
  }
  scanLine(buf, start, end) {
    this.line++;
    if (end > start && buf[end - 1] === CR) end--;
    if (this.columns === void 0) {
      this.useHeader(buf.toString("utf8", start, end));
    } else if (!this.accept(buf, start, end)) {
      this.diagnose(buf, start, end);
    }
  }
  useHeader(header) {
    this.columns = parseHeader(header, this.options.key);
    this.standardColumns = this.columns.every((column, slot) => column === slot);
    this.lastColumn = Math.max(...this.columns);
    this.kinds = new Uint8Array(this.lastColumn + 1).fill(OTHER);
    this.columns.forEach((column, slot) => this.kinds[column] = KIND_OF_REQUIRED[slot]);
  }
  /**
   * The hot path: parse and add a well-formed row in one pass over its bytes. Anything unusual
   * returns false, and `diagnose` finds out what (or that the line is blank).
   */
  accept(buf, start, end) {
    const { kinds, lastColumn } = this;
    let i = start;
    let idStart = -1;
    let idEnd = 0;
    let fieldEnd = 0;
    let year = 0;
    let period = 0;
    let value = 0;
    for (let field = 0; ; field++) {
      while (i < end && isBlank(buf[i])) i++;
      const kind = kinds[field];
      if (kind === SERIES) {
        const previous = this.previousField;
        let same = previous.length > 0 && end - i >= previous.length;
        for (let k = 0; same && k < previous.length; k++) same = buf[i + k] === previous[k];
        if (same && (i + previous.length === end || buf[i + previous.length] === TAB)) {
          i += previous.length;
          idStart = -1;
        } else {
          idStart = i;
          while (i < end && buf[i] !== TAB) i++;
          fieldEnd = i;
          idEnd = i;
          while (idEnd > idStart && isBlank(buf[idEnd - 1])) idEnd--;
          if (idEnd === idStart) return false;
          if ((buf[idStart] > 127 || buf[idEnd - 1] > 127) && EDGE_UNICODE_SPACE.test(buf.toString("utf8", idStart, idEnd))) return false;
        }
      } else if (kind === YEAR2) {
        if (end - i < 4) return false;
        for (const stop = i + 4; i < stop; i++) {
          const digit = buf[i] - ZERO;
          if (digit < 0 || digit > 9) return false;
          year = year * 10 + digit;
        }
      } else if (kind === PERIOD) {
        if (end - i < 3 || buf[i] !== Q || buf[i + 1] !== ZERO) return false;
        period = buf[i + 2] - ZERO;
        if (period < 1 || period > 5) return false;
        i += 3;
      } else if (kind === VALUE2) {
        i = this.readValue(buf, i, end);
        if (i === -1) return false;
        value = this.value;
      } else {
        while (i < end && buf[i] !== TAB) i++;
      }
      while (i < end && isBlank(buf[i])) i++;
      if (i < end && buf[i] !== TAB) return false;
      if (field === lastColumn) break;
      if (i === end) return false;
      i++;
    }
    this.add(idStart === -1 ? this.current : this.seriesFor(buf, idStart, idEnd, fieldEnd), year, period, value);
    return true;
  }
  /**
   * A decimal at `i` (sign, digits, point, at most DECIMALS decimals) scaled to thousandths in
   * `value`; the position after it, or -1 when it is not one.
   */
  readValue(buf, i, end) {
    const negative = buf[i] === MINUS;
    if (negative || buf[i] === PLUS) i++;
    let value = 0;
    let digits = 0;
    let digit;
    while (i < end && (digit = buf[i] - ZERO) >= 0 && digit <= 9) {
      value = value * 10 + digit;
      i++;
      digits++;
    }
    let decimals = 0;
    if (i < end && buf[i] === DOT) {
      i++;
      while (i < end && (digit = buf[i] - ZERO) >= 0 && digit <= 9) {
        value = value * 10 + digit;
        i++;
        decimals++;
      }
    }
    if (digits + decimals === 0 || decimals > DECIMALS) return -1;
    value *= SCALE_UP[decimals];
    if (value >= MAX_SCALED_VALUE) return -1;
    this.value = negative ? -value : value;
    return i;
  }
  /**
   * The common line, without looking for its end first: the previous row's series, then year,
   * period and value right after their tabs, in the standard column order. Adds the row and
   * returns the next line's start; -1 leaves the line to scanLine, which decides the same for
   * every line this accepts (about 7% fewer instructions per row under callgrind).
   */
  quickLine(buf, words, start) {
    const previous = this.previousField;
    const length = previous.length;
    if (length === 0 || start + length + 12 > buf.length) return -1;
    const previousWords = this.previousWords;
    let k = 0;
    for (let w = 0; w < previousWords.length; w++, k += 4) if (words.getInt32(start + k, true) !== previousWords[w]) return -1;
    for (; k < length; k++) if (buf[start + k] !== previous[k]) return -1;
    let i = start + length;
    if (buf[i] !== TAB) return -1;
    let year = 0;
    for (const stop = i + 5; ++i < stop; ) {
      const digit = buf[i] - ZERO;
      if (digit < 0 || digit > 9) return -1;
      year = year * 10 + digit;
    }
    if (buf[i] !== TAB || buf[i + 1] !== Q || buf[i + 2] !== ZERO || buf[i + 4] !== TAB) return -1;
    const period = buf[i + 3] - ZERO;
    if (period < 1 || period > 5) return -1;
    i += 5;
    while (buf[i] === SPACE) i++;
    i = this.readValue(buf, i, buf.length);
    if (i === -1) return -1;
    while (buf[i] === SPACE || buf[i] === CR) i++;
    if (buf[i] === TAB) for (const stop = Math.min(buf.length, start + QUICK_LINE_BYTES); i < stop && buf[i] !== LF; i++) ;
    if (buf[i] !== LF) return -1;
    this.line++;
    this.add(this.current, year, period, this.value);
    return i + 1;
  }
  /** The slow path, for lines the hot path refused: skip a blank line, reject anything else with its reason. */
  diagnose(buf, start, end) {
    const text2 = buf.toString("utf8", start, end);
    if (BLANK_LINE.test(text2)) return;
    const fields = text2.split("	").map(trimBlanks);
    const columns = this.columns;
    const problem = fields.length <= this.lastColumn ? `has ${fields.length} field${fields.length === 1 ? "" : "s"}, expected at least ${this.lastColumn + 1}` : REQUIRED_COLUMNS.map((name, slot) => fieldProblem(name, fields[columns[slot]])).find((reason) => reason !== void 0);
    if (problem === void 0) throw new Error(`${this.options.key}: line ${this.line} was refused without a reason`);
    this.reject(problem, text2);
  }
  /**
   * Add a value to its series-year sum. Rows come sorted by series, year and period, so the
   * running sum is kept aside and stored in the map only when the series, year or basis changes.
   */
  add(totals, year, period, value) {
    const sums = period === ANNUAL_PERIOD ? totals.annual : totals.quarterly;
    if (sums !== this.runningSums || year !== this.runningYear) {
      this.storeRunningSum();
      let index = yearIndex(sums, year);
      if (index === -1) index = sums.push(year, 0) - 2;
      this.runningSums = sums;
      this.runningYear = year;
      this.runningIndex = index;
      this.running = sums[index + 1];
    }
    this.running += value;
    const magnitude = Math.abs(this.running);
    if (magnitude > this.maxAbsSum) {
      if (magnitude > Number.MAX_SAFE_INTEGER) {
        throw new DataFileError(`${this.options.key}: line ${this.line}: the ${year} sum leaves the range of exact arithmetic`);
      }
      this.maxAbsSum = magnitude;
    }
    if (this.currentIsPicked && period === this.options.period) this.picked.push({ year, value });
    this.rows++;
  }
  storeRunningSum() {
    if (this.runningSums) this.runningSums[this.runningIndex + 1] = this.running;
  }
  /** The totals of the series in [start, end), remembering its field up to `fieldEnd` for the next row. */
  seriesFor(buf, start, end, fieldEnd) {
    const id = buf.toString("utf8", start, end);
    if (id !== this.currentId) {
      this.packCurrent();
      this.current = this.packer.takeBack(id) ?? { quarterly: [], annual: [] };
      this.currentId = id;
      this.currentIsPicked = id === this.options.seriesId;
    }
    const field = Buffer.from(buf.subarray(start, fieldEnd));
    this.previousField = field;
    this.previousWords = Int32Array.from({ length: field.length >> 2 }, (_, w) => field.readInt32LE(w * 4));
    return this.current;
  }
  packCurrent() {
    if (!this.current) return;
    this.storeRunningSum();
    this.runningSums = void 0;
    this.packer.add(this.currentId, this.current);
    this.current = void 0;
  }
  /** Every series' sums, packed, once the last line is scanned. */
  packedSeries() {
    this.packCurrent();
    return this.packer.packed();
  }
  reject(reason, text2) {
    if (this.options.strict) {
      throw new DataFileError(`${this.options.key}: line ${this.line}: ${reason} (strict mode rejects any bad row): ${JSON.stringify(text2)}`);
    }
    this.rejectedCount++;
    if (this.samples.length < (this.options.sampleSize ?? 5)) this.samples.push({ line: this.line, reason, text: text2 });
  }
};
var READ_BYTES = 64 * 1024;
async function scanDataFile(reader, options) {
  const scanner = new DataFileScanner(options);
  const hash = createHash4("md5");
  const memory = Buffer.allocUnsafe(READ_BYTES);
  let bytes = 0;
  try {
    for (let read; (read = await reader.read(memory)) > 0; ) {
      const chunk = memory.subarray(0, read);
      hash.update(chunk);
      bytes += read;
      scanner.push(chunk);
      options.onBytes?.(bytes);
    }
  } finally {
    await reader.close();
  }
  scanner.end();
  const series = new MergedSeries();
  series.add(scanner.packedSeries());
  return {
    md5: hash.digest("hex"),
    bytes,
    rows: scanner.rows,
    series,
    picked: scanner.picked,
    rejected: { count: scanner.rejectedCount, samples: scanner.samples },
    threads: 1
  };
}

// ../../work/main/src/transform/parallel-scan.ts
var LF2 = 10;
var CR2 = 13;
var PIECE_BYTES = 1024 * 1024;
var IN_FLIGHT = 2;
var SETUP = "dataquestScanSetup";
function serveScans(setup, port) {
  const scanner = new DataFileScanner(setup);
  port.on("message", (message) => {
    if (message === "end") {
      scanner.finishLine();
      const series = scanner.packedSeries();
      const done = { series, rows: scanner.rows, maxAbsSum: scanner.maxAbsSum };
      port.postMessage({ done }, [series.positions.buffer, ...series.blocks.map((block) => block.buffer)]);
      port.close();
      return;
    }
    const { index, start, end } = message;
    scanner.push(Buffer.from(setup.memory, start, end - start));
    scanner.finishLine();
    port.postMessage({ index, ...scanner.takePiece() });
  });
}
if (!isMainThread && workerData?.[SETUP]) serveScans(workerData[SETUP], parentPort);
var FROM_SOURCES = import.meta.url.endsWith(".ts");
var WORKER_SCRIPT = FROM_SOURCES ? `import('tsx/esm/api').then(({register}) => { register(); return import(${JSON.stringify(import.meta.url)}) })` : new URL(import.meta.url);
var Slots = class {
  constructor(count, size) {
    this.size = size;
    this.memory = new SharedArrayBuffer(count * size);
    this.free = Array.from({ length: count }, (_, i) => i);
  }
  size;
  memory;
  free;
  view(slot) {
    return Buffer.from(this.memory, slot * this.size, this.size);
  }
};
var ScanPool = class {
  constructor(threads, setup, slots) {
    this.slots = slots;
    this.workers = Array.from({ length: threads }, (_, i) => {
      const worker = new Worker(WORKER_SCRIPT, { workerData: { [SETUP]: { ...setup, memory: slots.memory } }, eval: FROM_SOURCES });
      worker.on("message", (message) => {
        if ("done" in message) this.done.push(message.done);
        else {
          this.pieces[message.index] = message;
          this.inFlight[i]--;
          this.slots.free.push(this.slotOf.get(message.index));
          this.slotOf.delete(message.index);
        }
        this.wake?.();
      });
      worker.on("error", (error) => {
        this.failure ??= error;
        this.wake?.();
      });
      return worker;
    });
    this.inFlight = this.workers.map(() => 0);
  }
  slots;
  pieces = [];
  done = [];
  failure;
  workers;
  inFlight;
  /** The slot of each piece in hand, by piece index. */
  slotOf = /* @__PURE__ */ new Map();
  wake;
  /** Resolves at the next message or failure. */
  next() {
    return new Promise((resolve) => this.wake = resolve);
  }
  /** A free slot, once a worker has answered for one; undefined when a worker failed first (finish tells). */
  async freeSlot() {
    while (!this.failure && this.slots.free.length === 0) await this.next();
    return this.slots.free.pop();
  }
  /** Hand bytes [start, end) of a slot to the least busy worker. */
  send(index, slot, start, end) {
    const worker = this.inFlight.indexOf(Math.min(...this.inFlight));
    this.inFlight[worker]++;
    this.slotOf.set(index, slot);
    const offset = slot * this.slots.size;
    this.workers[worker].postMessage({ index, start: offset + start, end: offset + end });
  }
  /** Every worker's sums, or undefined when one failed. */
  async finish() {
    for (const worker of this.workers) worker.postMessage("end");
    while (!this.failure && this.done.length < this.workers.length) await this.next();
    return this.failure ? void 0 : this.done;
  }
  async terminate() {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
};
async function scanOnWorkers(reader, options, threads, pieceBytes) {
  const hash = createHash5("md5");
  let bytes = 0;
  const slots = new Slots(threads * IN_FLIGHT + 1, pieceBytes + MAX_LINE_BYTES);
  let slot = slots.free.pop();
  let view = slots.view(slot);
  let start = 0;
  let fill = 0;
  let pool;
  let sent = 0;
  let readFailed = false;
  try {
    const startPool = () => {
      const lf = view.subarray(0, fill).indexOf(LF2);
      if (lf === -1) return fill < slots.size;
      const header = view.toString("utf8", 0, lf > 0 && view[lf - 1] === CR2 ? lf - 1 : lf);
      new DataFileScanner({ ...options, header });
      const { key, seriesId, period, strict, sampleSize } = options;
      pool = new ScanPool(threads, { key, seriesId, period, strict, sampleSize, header }, slots);
      start = lf + 1;
      return true;
    };
    const cut = async () => {
      const end = view.subarray(start, fill).lastIndexOf(LF2) + 1;
      if (end === 0) return fill < slots.size;
      pool.send(sent++, slot, start, start + end);
      const next = await pool.freeSlot();
      if (next === void 0) return false;
      const nextView = slots.view(next);
      fill = view.copy(nextView, 0, start + end, fill);
      [slot, view, start] = [next, nextView, 0];
      return true;
    };
    for (; ; ) {
      const into = view.subarray(fill, Math.min(slots.size, fill + pieceBytes));
      const read = await reader.read(into).catch((error) => {
        readFailed = true;
        throw error;
      });
      if (read === 0) break;
      hash.update(into.subarray(0, read));
      bytes += read;
      fill += read;
      options.onBytes?.(bytes);
      if (!pool && !startPool()) return void 0;
      if (pool && (fill - start >= pieceBytes || fill === slots.size) && !await cut()) return void 0;
    }
    if (!pool) return void 0;
    if (fill > start) pool.send(sent++, slot, start, fill);
    const packed = await pool.finish();
    if (!packed) return void 0;
    if (packed.reduce((bound, worker) => bound + worker.maxAbsSum, 0) > Number.MAX_SAFE_INTEGER) return void 0;
    const rows = packed.reduce((total, worker) => total + worker.rows, 0);
    if (rows === 0) return void 0;
    const series = new MergedSeries();
    for (const worker of packed) series.add(worker.series);
    const picked = [];
    const rejected = { count: 0, samples: [] };
    let line = 1;
    for (const piece of pool.pieces) {
      for (const sample of piece.samples) {
        if (rejected.samples.length < (options.sampleSize ?? 5)) rejected.samples.push({ ...sample, line: line + sample.line });
      }
      for (const row of piece.picked) picked.push(row);
      rejected.count += piece.rejectedCount;
      line += piece.lines;
    }
    return { md5: hash.digest("hex"), bytes, rows, series, picked, rejected, threads };
  } catch (error) {
    if (readFailed) throw error;
    return void 0;
  } finally {
    await reader.close();
    await pool?.terminate();
  }
}
async function scanDataFileParallel(open2, options) {
  const pieceBytes = options.pieceBytes ?? PIECE_BYTES;
  const parallel = options.threads >= 2 ? await scanOnWorkers(await open2(), options, options.threads, pieceBytes) : void 0;
  return parallel ?? scanDataFile(await open2(), options);
}

// ../../work/main/src/transform/population.ts
init_errors();
var PopulationError = class extends DataquestError {
  constructor(message) {
    super("input", message);
    this.name = "PopulationError";
  }
};
function populationYears(json, key) {
  const fail = (problem) => new PopulationError(`${key}: ${problem}; run \`dataquest fetch\` again`);
  return populationByYear(populationRows(json, fail), fail);
}
function populationStats(byYear, fromYear, toYear) {
  const years = [];
  const missingYears = [];
  const values = [];
  for (let year = fromYear; year <= toYear; year++) {
    const population = byYear.get(year);
    if (population === null || population === void 0) {
      missingYears.push(year);
    } else {
      years.push(year);
      values.push(BigInt(population));
    }
  }
  const n = values.length;
  if (n < 2) {
    throw new PopulationError(`population data has ${n} usable year${n === 1 ? "" : "s"} in ${fromYear}\u2013${toYear}; at least 2 are needed for a standard deviation`);
  }
  const sum = values.reduce((a, b) => a + b, 0n);
  const sumOfSquares = values.reduce((a, b) => a + b * b, 0n);
  const spread = Number(BigInt(n) * sumOfSquares - sum * sum);
  return {
    count: n,
    mean: Number(sum) / n,
    stddev: Math.sqrt(spread / (n * (n - 1))),
    stddevPopulation: Math.sqrt(spread / (n * n)),
    years,
    missingYears
  };
}

// ../../work/main/src/transform/titles.ts
import Papa from "papaparse";
var LOOKUP_FILES = {
  duration: "pr.duration",
  measure: "pr.measure",
  sector: "pr.sector",
  series: "pr.series"
};
function parseLookup(text2) {
  return Papa.parse(text2, {
    delimiter: "	",
    header: true,
    skipEmptyLines: "greedy",
    transformHeader: (header) => header.trim(),
    transform: (value) => value.trim()
  }).data;
}
var codeToText = (rows, code, text2) => new Map((rows ?? []).flatMap((row) => row[code] && row[text2] ? [[row[code], row[text2]]] : []));
function seriesTitles(files) {
  const parse = (name) => files[name] === void 0 ? void 0 : parseLookup(files[name]);
  const sectors = codeToText(parse("sector"), "sector_code", "sector_name");
  const measures = codeToText(parse("measure"), "measure_code", "measure_text");
  const durations = codeToText(parse("duration"), "duration_code", "duration_text");
  const titles = /* @__PURE__ */ new Map();
  for (const row of parse("series") ?? []) {
    const parts = [sectors.get(row.sector_code ?? ""), measures.get(row.measure_code ?? ""), durations.get(row.duration_code ?? "")];
    const title = parts.filter((part) => part !== void 0).join(" \u2014 ");
    if (row.series_id && title) titles.set(row.series_id, title);
  }
  return titles;
}

// ../../work/main/src/transform/index.ts
init_errors();
var PARALLEL_MIN_BYTES = 8 * 1024 * 1024;
var TRANSFORM_DEFAULTS = {
  dataFile: "pr.data.0.Current",
  seriesId: "PRS30006032",
  period: "Q01",
  fromYear: STATS_YEARS.from,
  toYear: STATS_YEARS.to
};
var TransformInputError = class extends DataquestError {
  constructor(message, options) {
    super("input", message, options);
    this.name = "TransformInputError";
  }
};
function checkParameters(dataFile, seriesId, period, fromYear, toYear) {
  if (!/^[^/\\]+$/.test(dataFile) || dataFile === "." || dataFile === "..") {
    throw new TransformInputError(`data file ${JSON.stringify(dataFile)} should be a file name under ${BLS_PREFIX}, like pr.data.0.Current`);
  }
  if (seriesId.trim() === "") throw new TransformInputError("series id is empty; use one like PRS30006032");
  if (!/^Q0[1-5]$/.test(period)) throw new TransformInputError(`period ${JSON.stringify(period)} should be one of Q01\u2013Q05`);
  if (!Number.isInteger(fromYear) || !Number.isInteger(toYear) || fromYear > toYear) {
    throw new TransformInputError(`years ${fromYear}\u2013${toYear} should be whole numbers, the first not after the second`);
  }
}
function verify(store, key, known, read) {
  if (known !== void 0 && known !== read) {
    throw new TransformInputError(
      `${key} in ${store.location} is damaged: its bytes have MD5 ${read}, the store recorded ${known}; fetch or sync it again (no report was written)`
    );
  }
}
async function readSmall(store, key) {
  try {
    const [info, bytes] = await Promise.all([store.stat(key, { hash: false }), store.read(key).then((stream) => buffer(stream))]);
    const md5 = md5Hex(bytes);
    verify(store, key, info?.md5, md5);
    return { content: bytes.toString("utf8"), input: { key, md5 } };
  } catch (error) {
    if (error instanceof NotFoundError) return void 0;
    throw error;
  }
}
var notFound = (store, key) => new TransformInputError(`${key} not found in ${store.location}: run \`dataquest fetch\` first`, { hint: { flag: ["raw", "data-file"], say: "or check {raw} and {data-file}" } });
async function scanForReports(titles, ...scan) {
  const { series, ...rest } = await scanDataFileParallel(...scan);
  return { ...rest, bestRows: bestYearRows(series, titles) };
}
async function transformStores(options) {
  const { raw, processed, strict = false, dryRun = false } = options;
  const { dataFile, seriesId: givenSeries, period, fromYear, toYear } = { ...TRANSFORM_DEFAULTS, ...definedOnly(options) };
  checkParameters(dataFile, givenSeries, period, fromYear, toYear);
  const seriesId = givenSeries.trim().toUpperCase();
  const dataKey = BLS_PREFIX + dataFile;
  const dataInfo = await raw.stat(dataKey, { hash: false });
  if (!dataInfo) throw notFound(raw, dataKey);
  const populationFile = await readSmall(raw, POPULATION_KEY);
  if (!populationFile) throw notFound(raw, POPULATION_KEY);
  let populationJson;
  try {
    populationJson = JSON.parse(populationFile.content);
  } catch (error) {
    throw new TransformInputError(`${POPULATION_KEY} in ${raw.location} is not JSON (${error.message}); run \`dataquest fetch\` again`, { cause: error });
  }
  const population = populationYears(populationJson, POPULATION_KEY);
  const stats = populationStats(population, fromYear, toYear);
  const lookupNames = Object.keys(LOOKUP_FILES);
  const lookups = await Promise.all(lookupNames.map((name) => readSmall(raw, BLS_PREFIX + LOOKUP_FILES[name])));
  const titles = seriesTitles(Object.fromEntries(lookupNames.flatMap((name, i) => lookups[i] ? [[name, lookups[i].content]] : [])));
  const scan = await scanForReports(titles, () => raw.reader(dataKey), {
    key: dataKey,
    seriesId,
    period: Number(period.slice(1)),
    strict,
    threads: options.threads ?? (dataInfo.size >= PARALLEL_MIN_BYTES ? availableParallelism() : 1),
    onBytes: options.onProgress && ((bytes) => options.onProgress({ bytes, totalBytes: dataInfo.size }))
  });
  verify(raw, dataKey, dataInfo.md5, scan.md5);
  const warnings = [];
  if (scan.picked.length === 0) {
    const problem = `${dataKey} has no ${period} rows for series ${seriesId}`;
    if (strict) {
      throw new TransformInputError(problem, { hint: { flag: ["series", "period", "strict"], say: "pick another {series} or {period} ({strict} refuses an empty series report)" } });
    }
    warnings.push(`${problem}: series_population.json has no rows; pick another --series or --period`);
  }
  const dataInput = { key: dataKey, md5: scan.md5 };
  const lookupInputs = lookups.flatMap((lookup) => lookup ? [lookup.input] : []);
  const { bestRows } = scan;
  const reports = [
    populationStatsReport(fromYear, toYear, [populationFile.input], stats),
    bestYearReport(dataFile, [dataInput, ...lookupInputs], bestRows),
    seriesPopulationReport(seriesId, period, [dataInput, populationFile.input], scan.picked, population)
  ];
  const files = await writeReports(processed, reports, { dryRun });
  return {
    raw: raw.location,
    processed: processed.location,
    dataFile: dataKey,
    bytes: scan.bytes,
    rows: scan.rows,
    series: bestRows.length,
    annualSeries: bestRows.filter((row) => row.basis === "annual").length,
    rejected: scan.rejected,
    threads: scan.threads,
    warnings,
    dryRun,
    files,
    reports
  };
}
function definedOnly(options) {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== void 0));
}

// rep.ts
import { writeFileSync as writeFileSync2, readFileSync as readFileSync2, existsSync } from "node:fs";
if (isMainThread2) {
  const D = "/tmp/dataquest-bench-x100";
  let reports;
  if (existsSync("/tmp/prof/reports.json")) reports = JSON.parse(readFileSync2("/tmp/prof/reports.json", "utf8"));
  else {
    reports = (await transformStores({ raw: openStore(D + "/raw"), processed: openStore(D + "/processed"), dryRun: true })).reports;
    writeFileSync2("/tmp/prof/reports.json", JSON.stringify(reports));
  }
  const { Session } = await import("node:inspector/promises");
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    const files = await reportFiles(reports);
    console.log("reportFiles", (performance.now() - t).toFixed(0), files.map((f) => `${f.key}:${f.body.length}`).join(" "));
  }
}
