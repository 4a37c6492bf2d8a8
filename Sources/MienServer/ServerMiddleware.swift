import Foundation
import Hummingbird

/// Around every request: turns any error into the JSON error answer (so clients always get `{"error": …}`), adds
/// CORS headers when configured, and counts the request in the metrics with its final status.
struct ServerMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    let corsOrigin: String?
    /// The routes (method, template), to tell a wrong method (405) from an unknown path (404).
    let routes: [(method: String, path: String)]

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        var response: Response
        do {
            if let corsOrigin, request.method == .options {
                response = Response(status: .noContent)
            } else {
                response = try await next(request, context)
            }
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = Self.methods(for: request.uri.path, in: routes)
            if allowed.isEmpty {
                response = try APIError.from(error).response(from: request, context: context)
            } else {
                var api = try APIError(.methodNotAllowed, code: "method_not_allowed",
                                       message: "\(request.uri.path) takes \(allowed.joined(separator: ", ")), not "
                                       + "\(request.method); GET /openapi.json lists the routes.")
                    .response(from: request, context: context)
                api.headers[.allow] = allowed.joined(separator: ", ")
                response = api
            }
        } catch {
            let api = APIError.from(error)
            if api.status.code >= 500 && api.status != .serviceUnavailable {
                context.logger.error("\(request.method) \(request.uri.path): \(api.message)")
            }
            response = try api.response(from: request, context: context)
        }
        if let corsOrigin {
            response.headers[.accessControlAllowOrigin] = corsOrigin
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            response.headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
        }
        switch response.status {
        case .serviceUnavailable: metrics.rejected(reason: "busy")
        case .tooManyRequests: metrics.rejected(reason: "rate_limited")
        default: break
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        metrics.request(route: Self.routeLabel(request.uri.path), method: request.method.rawValue,
                        status: Int(response.status.code), seconds: seconds)
        return response
    }

    /// The methods the route templates matching `path` take ("{id}" matches any one segment).
    static func methods(for path: String, in routes: [(method: String, path: String)]) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return Set(routes.filter { route in
            let template = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return template.count == parts.count
                && zip(template, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)).sorted()
    }

    /// The route's template for the metrics label (ids folded), so label sets stay bounded.
    static func routeLabel(_ path: String) -> String {
        let known = ["/", "/healthz", "/metrics", "/openapi.json", "/v1/analyze", "/v1/voice", "/v1/videos", "/v1/live",
                     "/notice"]
        if known.contains(path) { return path }
        if path.hasPrefix("/v1/videos/") { return path.hasSuffix("/result") ? "/v1/videos/{id}/result" : "/v1/videos/{id}" }
        if path.hasPrefix("/static/") { return "/static" }
        return "other"
    }
}
