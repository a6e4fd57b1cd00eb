//! A minimal upstream for the gateway benchmark: answers every request with a
//! small JSON body (like a typical API read). `bench-upstream [addr] [workers]`.

use actix_web::{App, HttpResponse, HttpServer, web};

const BODY: &str = r#"{"data":{"id":"cus_abc123","type":"customer","attributes":{"email":"jane@example.com","lifecycle_stage":"loyal","total_spent":487.2}}}"#;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let workers = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok()
                .content_type("application/json")
                .body(BODY)
        }))
    })
    .workers(workers)
    .backlog(4096)
    .bind(addr)?
    .run()
    .await
}
