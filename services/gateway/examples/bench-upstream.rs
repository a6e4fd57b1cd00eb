//! A minimal upstream for the gateway benchmark: answers every request with a
//! small JSON body (like a typical API read). `bench-upstream [addr] [workers]`.
//!
//! A path ending in `/__headers` answers with the request's headers instead
//! (`name: value` lines), so the benchmark can see what the gateway sends.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

const BODY: &str = r#"{"data":{"id":"cus_abc123","type":"customer","attributes":{"email":"jane@example.com","lifecycle_stage":"loyal","total_spent":487.2}}}"#;

async fn answer(req: HttpRequest) -> HttpResponse {
    if req.path().ends_with("/__headers") {
        let mut lines = String::new();
        for (name, value) in req.headers() {
            lines.push_str(name.as_str());
            lines.push_str(": ");
            lines.push_str(value.to_str().unwrap_or(""));
            lines.push('\n');
        }
        return HttpResponse::Ok().content_type("text/plain").body(lines);
    }
    HttpResponse::Ok()
        .content_type("application/json")
        .body(BODY)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let workers = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    HttpServer::new(|| App::new().default_service(web::to(answer)))
        .workers(workers)
        .backlog(4096)
        .bind(addr)?
        .run()
        .await
}
