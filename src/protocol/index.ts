/**
 * The cython_pin protocol: types generated from protocol/cython-pin.schema.json
 * (src/_generated/protocol.ts, `npm run generate`) and runtime decoders that
 * return exactly those types. The rest of src/ imports the protocol from here.
 */
import type {
  Annotation,
  AnnotationLine,
  BuildResult,
  CacheRow,
  Diagnostic,
  ErrorInfo,
  Event,
  GcArgs,
  OpArgs,
  OpResults,
  PinRow,
  RemoteStatus,
  Reply,
  Request,
  TeamPinRow,
  Timings,
  ToolchainRow
} from '../_generated/protocol';

export type {
  BuildProgressEvent,
  BuildStage,
  CacheChangedEvent,
  DiagnosticSource,
  ErrorCode,
  Op,
  PinsChangedEvent,
  PrebuildDecision,
  PrebuildStage,
  PrebuildStateEvent,
  EntryKind,
  PgoStep,
  ToolchainKind,
  Profile,
  Reply,
  Severity,
  TimingKey
} from '../_generated/protocol';
export {
  BUILD_MIME_TYPE,
  BUILD_STAGES,
  COMM_TARGET,
  DIAGNOSTIC_SOURCES,
  ENTRY_KINDS,
  ERROR_CODES,
  EVENT_NAMES,
  OPS,
  PROFILES,
  PREBUILD_STAGES,
  PROTOCOL_VERSION,
  SEVERITIES,
  TIMING_KEYS,
  TOOLCHAIN_KINDS
} from '../_generated/protocol';

export type IAnnotation = Annotation;
export type IAnnotationLine = AnnotationLine;
export type IBuildResult = BuildResult;
export type ICacheRow = CacheRow;
export type IDiagnostic = Diagnostic;
export type IErrorInfo = ErrorInfo;
export type IGcArgs = GcArgs;
export type IOpArgs = OpArgs;
/** What a request resolves to: the op's result, its lists decoded row by row (DecodedResults). */
export type IOpResults = DecodedResults;
/** The op's result as the contract states it (what the helper sends). */
export type IWireResults = OpResults;
export type IPinRow = PinRow;
export type IRemoteStatus = RemoteStatus;
export type ITeamPinRow = TeamPinRow;
export type ITimings = Timings;
export type IToolchainRow = ToolchainRow;
export type ProtocolEvent = Event;
/** Anything the kernel may send on the comm. */
export type IncomingMessage = Reply | Event;
/** The request for op K. */
export type IRequest<K extends Request['op'] = Request['op']> = Extract<
  Request,
  { op: K }
>;

export { ACTIVATION_EXPRESSIONS, pipInstallLine } from './activation';
export { decodeBuildResult } from './buildResult';
export { isRecord, isUnreadable } from './decode';
export type { Decoded, IUnreadableRow, JSONRecord, Row } from './decode';
export { decodeEvent, decodeIncoming, decodeReply } from './messages';
export { decodeResult } from './results';
import type { DecodedResults } from './results';
