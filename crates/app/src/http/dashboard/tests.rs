//! The dashboard's asset table against the files in `assets/owner/` and the modules' imports (a
//! new view left out of the table, or a misspelt import, fails here, without a browser), and
//! the asset route's answers: each file whole, with its type and the page's security headers,
//! and 404 for any other path.

use super::{ASSETS, CSP, CSS, INDEX, JS, routes};
use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, StatusCode};
use actix_web::{App, test as actix_test};
use std::collections::BTreeSet;
use std::path::Path;

/// The specifier of an `import ... from "x"` (or `import "x"`) line, if the line ends one.
fn import_specifier(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let ends_import = line.starts_with("import ") || line.starts_with("} from ");
    if !ends_import {
        return None;
    }
    let start = match line.rfind(" from \"") {
        Some(i) => i + " from \"".len(),
        None if line.starts_with("import \"") => "import \"".len(),
        None => return None,
    };
    let rest = &line[start..];
    rest.find('"').map(|end| &rest[..end])
}

/// Resolves `spec` (relative, `./` or `../`) against the directory of the module at `from`.
fn resolve(from: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    if !(spec.starts_with("./") || spec.starts_with("../")) {
        return None;
    }
    for seg in spec.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Every module's imports, as (importing path, resolved path).
fn imports() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for &(path, _, text) in ASSETS.iter().filter(|(p, _, _)| p.ends_with(".js")) {
        for spec in text.lines().filter_map(import_specifier) {
            let resolved = resolve(path, spec)
                .unwrap_or_else(|| panic!("{path}: import {spec:?} is not a relative path"));
            out.push((path, resolved));
        }
    }
    out
}

#[test]
fn every_relative_import_of_every_module_names_a_served_file() {
    let served: BTreeSet<&str> = ASSETS.iter().map(|(p, _, _)| *p).collect();
    let all = imports();
    assert!(all.len() > 20, "the imports were found: {all:?}");
    for (from, to) in &all {
        assert!(
            served.contains(to.as_str()),
            "{from} imports {to}, which /owner/assets/ does not serve"
        );
        assert!(to.ends_with(".js"), "{from} imports {to}: not a module");
    }
}

#[test]
fn every_served_module_is_reached_from_the_entry_the_page_loads() {
    assert!(INDEX.contains(r#"<script type="module" src="/owner/assets/app.js"></script>"#));
    assert!(INDEX.contains(r#"href="/owner/assets/app.css""#));
    let all = imports();
    let mut reached = BTreeSet::from(["app.js".to_owned()]);
    let mut todo = vec!["app.js".to_owned()];
    while let Some(module) = todo.pop() {
        for (_, to) in all.iter().filter(|(from, _)| *from == module) {
            if reached.insert(to.clone()) {
                todo.push(to.clone());
            }
        }
    }
    for (path, _, _) in ASSETS.iter().filter(|(p, _, _)| p.ends_with(".js")) {
        assert!(
            reached.contains(*path),
            "{path} is served but nothing imports it"
        );
    }
}

#[test]
fn import_lines_are_read_in_their_three_shapes() {
    assert_eq!(
        import_specifier(r#"import { a, b } from "./dom.js";"#),
        Some("./dom.js")
    );
    assert_eq!(
        import_specifier(r#"} from "../api.js";"#),
        Some("../api.js")
    );
    assert_eq!(
        import_specifier(r#"import "./side.js";"#),
        Some("./side.js")
    );
    assert_eq!(import_specifier(r#"text: "from here","#), None);
    assert_eq!(
        resolve("js/views/orders.js", "../poll.js").as_deref(),
        Some("js/poll.js")
    );
    assert_eq!(resolve("app.js", "../x.js"), None);
}

/// Every file under `assets/owner/` on disk, as paths relative to it (`js/views/orders.js`).
fn files_on_disk() -> BTreeSet<String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("a directory entry: {e}"))
                .path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap_or_else(|e| panic!("under the base: {e}"));
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/owner");
    let mut out = BTreeSet::new();
    walk(&base, &base, &mut out);
    out
}

#[test]
fn every_file_in_the_assets_folder_is_served_and_nothing_else() {
    let on_disk = files_on_disk();
    assert!(on_disk.contains("js/views/orders.js"), "{on_disk:?}");
    // index.html is the page itself (served at /owner), not an asset.
    let expected: BTreeSet<&str> = on_disk
        .iter()
        .map(String::as_str)
        .filter(|p| *p != "index.html")
        .collect();
    let served: BTreeSet<&str> = ASSETS.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(
        served, expected,
        "assets/owner/ and ASSETS in dashboard.rs differ: add a row per new file"
    );
    assert_eq!(served.len(), ASSETS.len(), "a path is listed twice");
    for (path, content_type, _) in ASSETS {
        let wanted = if path.ends_with(".js") { JS } else { CSS };
        assert_eq!(*content_type, wanted, "{path}");
    }
}

/// The value of the response's header `name`, or "" when it has none.
fn header<'a>(res: &'a ServiceResponse, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The headers every dashboard answer carries (the page and each asset alike).
fn assert_dashboard_headers(res: &ServiceResponse, what: &str) {
    assert_eq!(header(res, "content-security-policy"), CSP, "{what}");
    assert_eq!(header(res, "cache-control"), "no-cache", "{what}");
    assert_eq!(header(res, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(res, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header(res, "x-frame-options"), "DENY", "{what}");
}

#[actix_web::test]
async fn every_asset_is_served_whole_with_its_type_under_the_csp() {
    let app = actix_test::init_service(App::new().configure(routes)).await;
    for &(path, content_type, text) in ASSETS {
        let uri = format!("/owner/assets/{path}");
        let res =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri(&uri).to_request())
                .await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        assert_eq!(header(&res, "content-type"), content_type, "{uri}");
        assert_dashboard_headers(&res, &uri);
        assert_eq!(actix_test::read_body(res).await, text.as_bytes(), "{uri}");

        let head = actix_test::TestRequest::default()
            .method(Method::HEAD)
            .uri(&uri)
            .to_request();
        let res = actix_test::call_service(&app, head).await;
        assert_eq!(res.status(), StatusCode::OK, "HEAD {uri}");
        assert_eq!(header(&res, "content-type"), content_type, "HEAD {uri}");
        assert_dashboard_headers(&res, &format!("HEAD {uri}"));
    }
    let modules = ASSETS.iter().filter(|(p, _, _)| p.ends_with(".js")).count();
    assert!(modules > 20, "{modules} modules");
    let req = actix_test::TestRequest::get().uri("/owner").to_request();
    let res = actix_test::call_service(&app, req).await;
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
    assert_dashboard_headers(&res, "/owner");
}

#[actix_web::test]
async fn an_asset_path_not_in_the_table_is_404() {
    let app = actix_test::init_service(App::new().configure(routes)).await;
    for path in [
        "secrets.txt",
        "index.html",
        "js/nope.js",
        "js/views/../api.js",
        "js/views/../api.js.map",
        "js/../app.js",
        "../index.html",
        "%2e%2e/index.html",
        "views/orders.js",
        "JS/API.JS",
        "js/api.js/",
        "js/",
        "",
    ] {
        let uri = format!("/owner/assets/{path}");
        let res =
            actix_test::call_service(&app, actix_test::TestRequest::get().uri(&uri).to_request())
                .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        let body: serde_json::Value = actix_test::read_body_json(res).await;
        assert_eq!(body["error"], "not_found", "{uri}");
    }
    // The router percent-decodes the path before the lookup, so an encoded slash names the
    // same table row (still only a file in the table, never anything else on disk).
    let uri = "/owner/assets/js%2fapi.js";
    let res =
        actix_test::call_service(&app, actix_test::TestRequest::get().uri(uri).to_request()).await;
    assert_eq!(res.status(), StatusCode::OK, "{uri}");
}
