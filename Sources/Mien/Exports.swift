// The front door's public surface. Front ends (the CLI, the server) import `Mien` alone: Core's value types and
// the report encoders come with it, and the few types of the voice and store layers a front end names are
// re-declared here, so the vision, voice and store layers stay replaceable behind it.
@_exported import MienCore
@_exported import MienReport
import MienPostgres
import MienStore
import MienVision
import MienVoice

public typealias VideoInput = MienVision.VideoInput
public typealias VideoError = MienVision.VideoError
public typealias VoiceAnalysis = MienVoice.VoiceAnalysis
public typealias VoiceError = MienVoice.VoiceError
public typealias VoiceReportWriter = MienVoice.VoiceReportWriter
public typealias VoiceHTMLReport = MienVoice.VoiceHTMLReport
public typealias VoiceFeatureExport = MienVoice.VoiceFeatureExport
public typealias VoiceBenchmark = MienVoice.VoiceBenchmark
public typealias AuditSink = MienStore.AuditSink
public typealias AuditRecord = MienStore.AuditRecord
public typealias AuditVerification = MienStore.AuditVerification
public typealias StoredResult = MienStore.StoredResult
public typealias SealKeySource = MienStore.SealKeySource
public typealias StoreLocation = MienStore.StoreLocation
public typealias StoreError = MienStore.StoreError

/// The file extensions `mien analyze` takes from a folder.
public let imageFileExtensions: Set<String> = ImageDecoder.imageExtensions
public typealias JobStore = MienStore.JobStore
public typealias SQLiteJobStore = MienStore.SQLiteJobStore
public typealias JobStoreError = MienStore.JobStoreError
public typealias PostgresJobStore = MienPostgres.PostgresJobStore
public typealias PostgresAuditLog = MienPostgres.PostgresAuditLog
