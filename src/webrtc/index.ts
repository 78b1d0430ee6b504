// WebRTC helpers around dtls-stream: ICE-lite, STUN, SDP, DTLS-SRTP keys, and an
// SRTP checker. No Node built-ins: the socket comes from an adapter
// (dtls-stream/node's nodeUdpSocket) split with demuxSocket (../demux).
export {
  StunMethod, StunAttribute, StunDecodeError, STUN_MAGIC_COOKIE, STUN_FINGERPRINT_XOR, isStun, decodeStun, encodeStun,
  checkIntegrity, checkFingerprint, shortTermKey, longTermKey, getAttribute, encodeXorAddress, decodeXorAddress,
  encodeMappedAddress, decodeMappedAddress, encodeErrorCode, decodeErrorCode, encodeU32, decodeU32, encodeMessageType,
  decodeMessageType, type StunClass, type StunAttr, type StunMessage, type DecodedStunMessage, type EncodeStunOptions,
  type TransportAddress, type DecodedAddress,
} from './stun.ts';
export {
  IceLiteResponder, IceLiteEvent, icePath, answerBindingRequest, generateIceCredentials, validateIceCredentials,
  type IceCredentials, type IceLiteOptions, type IceLiteStats, type IceLiteEventMap, type IceCheckDetail, type IceIgnoreReason, type BindingOutcome,
  type AnswerOptions, type IcePathStats,
} from './ice-lite.ts';
export {
  parseSdp, attributeValues, fingerprintAttribute, sdpFingerprints, sdpSetup, answerDtlsRole, offerDtlsRole, sdpIceParameters,
  iceLiteAnswer, type ParsedSdp, type SdpMedia, type SetupValue, type SdpIceParameters, type HostCandidate, type MediaDirection,
  type IceLiteAnswerOptions,
} from './sdp.ts';
export {
  srtpKeys, splitSrtpKeyingMaterial, srtpProfile, SRTP_PROFILES, DTLS_SRTP_EXPORTER_LABEL, type SrtpKeys, type SrtpKeysForRole,
  type SrtpMasterKey, type SrtpProfileName, type SrtpProfileParams, type SrtpKeySource,
} from './srtp-keys.ts';
export {
  srtpKdf, aesCmKeystream, deriveSrtpSessionKeys, parseRtpHeader, openSrtp, protectSrtp, openSrtcp, protectSrtcp, SrtpChecker, SrtpLabel,
  type SrtpSessionKeys, type RtpHeader, type OpenResult,
} from './srtp-check.ts';
export { crc32, crc32c } from './crc.ts';
export { parseIp, formatIp } from './ip.ts';
