// The key store is what `mien keys` manages; the CLI sees it through this module (it imports Mien and MienServer).
@_exported import class MienStore.APIKeyStore
@_exported import struct MienStore.APIKey
@_exported import enum MienStore.APIKeyError
