import Foundation
import Hummingbird
import Mien

/// What `GET /v1/notice` answers: the notice shown before anything is analysed.
struct NoticeAnswer: Codable {
    var title: String
    var operator_name: String
    var purpose: String
    var sections: [Notice.Section]
}

/// What `GET /healthz` answers.
struct Health: Codable {
    var status = "ok"
    var engine_load_seconds: Double
    var instances: Int
    var running: Int
    var waiting: Int
    var admitted: Int
    var capacity: Int
    /// Whether this server loaded the face mesh (blendshapes and iris gaze) and the body keypoint models.
    var blendshapes: Bool
    var body: Bool
}

extension MienServer {
    func addPageRoutes(to router: Router<ServerContext>) {
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8",
                                            .contentSecurityPolicy: "default-src 'self'; img-src 'self' data: blob:; "
                                                + "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
                                                + "connect-src 'self' ws: wss:; media-src 'self' blob:"],
                     body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.get("/healthz") { _, _ in
            let load = self.engine.load
            return try Self.json(Health(engine_load_seconds: self.engine.loadSeconds,
                                        instances: self.gate.instances, running: load.running,
                                        waiting: load.waiting, admitted: self.gate.inFlight,
                                        capacity: self.gate.capacity,
                                        blendshapes: self.configuration.blendshapes, body: self.configuration.body))
        }
        router.get("/metrics") { _, _ in
            let load = self.engine.load
            self.metrics.load(running: load.running, waiting: load.waiting)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: self.metrics.text())))
        }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/v1/notice") { _, _ in
            let notice = self.base.acting(as: self.configuration.localActor,
                                          purpose: self.auth.local.purpose)
                .notice(operatorName: self.configuration.operatorName, modelDirectory: self.engine.modelsDirectory)
            return try Self.json(NoticeAnswer(title: notice.title, operator_name: self.configuration.operatorName,
                                              purpose: self.configuration.requireKeys
                                                ? "the purpose declared with your API key"
                                                : self.auth.local.purpose.rawValue,
                                              sections: notice.sections))
        }
    }
}
