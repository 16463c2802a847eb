//! Vendored static assets, embedded in the binary (no CDN): htmx 2.0.4, our CSS and our
//! one small script. Served with a long cache lifetime; names carry versions.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/"]
struct Assets;

/// `/favicon.ico`: browsers ask for it on every page whatever the page links to; the SVG
/// icon answers (every browser Amparo supports reads an SVG icon), instead of a 404 per page.
pub async fn favicon() -> Response {
    serve(Path("favicon.svg".to_owned())).await
}

pub async fn serve(Path(file): Path<String>) -> Response {
    let Some(f) = Assets::get(&file) else { return StatusCode::NOT_FOUND.into_response() };
    let mime = match file.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=86400")], f.data).into_response()
}
