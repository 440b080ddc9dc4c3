//! The metadata pages: products, product blocks and resource types as server-rendered HTML
//! tables, with a filter box that narrows the rows in the browser.
//!
//! The CSS and the script are compiled into the binary and inlined in each page, so the pages
//! need no network, no CDN and no asset route. Every text from the database is escaped
//! ([`Esc`]). Links between the pages are relative, so they keep working when an app nests the
//! router under a prefix.

use std::collections::BTreeMap;
use std::fmt::{self, Display, Write as _};

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use uuid::Uuid;

use super::ApiState;
use super::error::ApiError;
use super::load::Catalog;

const CSS: &str = include_str!("assets/metadata.css");
const JS: &str = include_str!("assets/metadata.js");

/// Text escaped for HTML element content and quoted attribute values.
pub(crate) struct Esc<'a>(pub(crate) &'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// The three pages, for the navigation and the titles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Products,
    ProductBlocks,
    ResourceTypes,
}

impl Page {
    const ALL: [Page; 3] = [Page::Products, Page::ProductBlocks, Page::ResourceTypes];

    fn title(self) -> &'static str {
        match self {
            Page::Products => "Products",
            Page::ProductBlocks => "Product blocks",
            Page::ResourceTypes => "Resource types",
        }
    }

    fn href(self) -> &'static str {
        match self {
            Page::Products => "products",
            Page::ProductBlocks => "product_blocks",
            Page::ResourceTypes => "resource_types",
        }
    }

    fn noun(self) -> (&'static str, &'static str) {
        match self {
            Page::Products => ("product", "products"),
            Page::ProductBlocks => ("product block", "product blocks"),
            Page::ResourceTypes => ("resource type", "resource types"),
        }
    }

    fn count(self, catalog: &Catalog) -> usize {
        match self {
            Page::Products => catalog.products.len(),
            Page::ProductBlocks => catalog.blocks.len(),
            Page::ResourceTypes => catalog.resource_types.len(),
        }
    }

    /// The text under the title; trusted HTML.
    fn lede(self) -> &'static str {
        match self {
            Page::Products => {
                "The products in the database, with their fixed inputs and root product blocks."
            }
            Page::ProductBlocks => {
                "The product blocks, with their resource types, the blocks they depend on, and \
                 what uses them: <span class=\"chip block\">blocks</span> and \
                 <span class=\"chip product\">products</span>."
            }
            Page::ResourceTypes => "The resource types (block fields that hold a value).",
        }
    }

    fn placeholder(self) -> &'static str {
        match self {
            Page::Products => "Filter by name, tag, type, status, fixed input or block",
            Page::ProductBlocks => "Filter by name, tag, resource type or related block",
            Page::ResourceTypes => "Filter by name, description or block",
        }
    }
}

/// `GET /metadata/products`.
pub(crate) async fn products(State(state): State<ApiState>) -> Response {
    page(&state, Page::Products).await
}

/// `GET /metadata/product_blocks`.
pub(crate) async fn product_blocks(State(state): State<ApiState>) -> Response {
    page(&state, Page::ProductBlocks).await
}

/// `GET /metadata/resource_types`.
pub(crate) async fn resource_types(State(state): State<ApiState>) -> Response {
    page(&state, Page::ResourceTypes).await
}

async fn page(state: &ApiState, page: Page) -> Response {
    match Catalog::load(&state.db).await {
        Ok(catalog) => Html(render(page, &catalog)).into_response(),
        Err(e) => error_page(ApiError::from(e)),
    }
}

/// The error as a small HTML page with the same status and message as the JSON answer.
pub(crate) fn error_page(err: ApiError) -> Response {
    let problem = err.problem();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status} {title}</title>\
         <style>{CSS}</style></head><body><main class=\"error\"><h1>{status} {title}</h1><p>{detail}</p></main></body></html>",
        status = problem.status,
        title = Esc(&problem.title),
        detail = Esc(problem.detail.as_deref().unwrap_or("")),
    );
    (err.status, Html(out)).into_response()
}

/// The whole page: header and navigation, filter box, table, script.
fn render(page: Page, catalog: &Catalog) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let (one, many) = page.noun();
    let total = page.count(catalog);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · orch metadata</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <header class=\"top\">\n<div class=\"brand\">orch <span>metadata</span></div>\n<nav>\n",
        title = page.title(),
    );
    for p in Page::ALL {
        let current = if p == page {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<a href=\"{href}\"{current}>{title} <span class=\"count\">{n}</span></a>",
            href = p.href(),
            title = p.title(),
            n = p.count(catalog),
        );
    }
    let _ = write!(
        out,
        "<a class=\"api\" href=\"../api/openapi.json\">OpenAPI</a>\n</nav>\n</header>\n<main>\n\
         <div class=\"intro\">\n<h1>{title}</h1>\n<p>{lede}</p>\n</div>\n\
         <div class=\"toolbar\">\n<label class=\"filter\"><span class=\"visually-hidden\">Filter {many}</span>\
         <input id=\"filter\" type=\"search\" placeholder=\"{placeholder}\" autocomplete=\"off\" spellcheck=\"false\"></label>\n\
         <span id=\"shown\" class=\"shown\" aria-live=\"polite\" data-one=\"{one}\" data-many=\"{many}\">{total} {noun}</span>\n\
         <kbd title=\"Press / to filter\">/</kbd>\n</div>\n",
        title = page.title(),
        lede = page.lede(),
        placeholder = page.placeholder(),
        noun = if total == 1 { one } else { many },
    );
    match page {
        Page::Products => products_table(&mut out, catalog),
        Page::ProductBlocks => blocks_table(&mut out, catalog),
        Page::ResourceTypes => resource_types_table(&mut out, catalog),
    }
    if total == 0 {
        let _ = writeln!(
            out,
            "<p class=\"empty\">No {many} in the database yet. Apply the migrations with \
             <code>orch-migrate up</code>.</p>"
        );
    }
    let _ = write!(
        out,
        "<p id=\"no-match\" class=\"empty\" hidden>No {many} match the filter.</p>\n</main>\n\
         <script>\n{JS}</script>\n</body>\n</html>\n"
    );
    out
}

/// Lower-cased words a row is found by.
fn filter_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::new();
    for part in parts {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&part.to_lowercase());
    }
    text
}

fn status(out: &mut String, status: Option<&str>) {
    match status {
        Some(s) => {
            let class: String = s
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let _ = write!(
                out,
                "<span class=\"status status-{class}\">{}</span>",
                Esc(s)
            );
        }
        None => out.push_str("<span class=\"none\" title=\"no status recorded\">none</span>"),
    }
}

fn none(out: &mut String) {
    out.push_str("<span class=\"none\">none</span>");
}

fn block_link(out: &mut String, id: Uuid, name: &str) {
    let _ = write!(
        out,
        "<a class=\"chip block\" href=\"product_blocks#block-{id}\" title=\"block {name}\">{name}</a>",
        name = Esc(name)
    );
}

fn products_table(out: &mut String, catalog: &Catalog) {
    out.push_str(
        "<table id=\"items\" class=\"items products\">\n<thead><tr><th>Product</th><th>Tag</th>\
         <th>Type</th><th>Status</th><th>Fixed inputs</th><th>Product blocks</th></tr></thead>\n<tbody>\n",
    );
    for p in &catalog.products {
        let mut words = vec![
            p.name.as_str(),
            p.description.as_str(),
            p.tag.as_str(),
            p.product_type.as_str(),
            p.status.as_str(),
        ];
        for f in &p.fixed_inputs {
            words.extend([f.name.as_str(), f.value.as_str()]);
        }
        for b in &p.product_blocks {
            words.push(b.name.as_str());
            words.extend(b.tag.as_deref());
        }
        let _ = write!(
            out,
            "<tr id=\"product-{id}\" data-filter=\"{filter}\">\
             <td class=\"main\"><span class=\"name\">{name}</span> <a class=\"json\" href=\"../api/products/{id}\" title=\"This product as JSON\">JSON</a>\
             <div class=\"desc\">{desc}</div></td>\
             <td><code class=\"tag\">{tag}</code></td><td class=\"type\">{ty}</td><td>",
            id = p.product_id,
            filter = Esc(&filter_text(words)),
            name = Esc(&p.name),
            desc = Esc(&p.description),
            tag = Esc(&p.tag),
            ty = Esc(&p.product_type),
        );
        status(out, Some(&p.status));
        out.push_str("</td><td>");
        if p.fixed_inputs.is_empty() {
            none(out);
        }
        for f in &p.fixed_inputs {
            let _ = write!(
                out,
                "<span class=\"chip input\" title=\"{k} = {v}\"><span class=\"k\">{k}</span> = <span class=\"v\">{v}</span></span>",
                k = Esc(&f.name),
                v = Esc(&f.value)
            );
        }
        out.push_str("</td><td>");
        if p.product_blocks.is_empty() {
            none(out);
        }
        for b in &p.product_blocks {
            block_link(out, b.product_block_id, &b.name);
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn blocks_table(out: &mut String, catalog: &Catalog) {
    let names = catalog.block_names();
    let mut depends_on: BTreeMap<Uuid, Vec<(&str, Uuid)>> = BTreeMap::new();
    let mut used_by: BTreeMap<Uuid, Vec<(&str, Uuid)>> = BTreeMap::new();
    for &(user, used) in &catalog.relations {
        if let (Some(user_name), Some(used_name)) = (names.get(&user), names.get(&used)) {
            depends_on.entry(user).or_default().push((used_name, used));
            used_by.entry(used).or_default().push((user_name, user));
        }
    }
    let mut products_of: BTreeMap<Uuid, Vec<(&str, Uuid)>> = BTreeMap::new();
    for p in &catalog.products {
        for b in &p.product_blocks {
            products_of
                .entry(b.product_block_id)
                .or_default()
                .push((p.name.as_str(), p.product_id));
        }
    }
    for list in depends_on
        .values_mut()
        .chain(used_by.values_mut())
        .chain(products_of.values_mut())
    {
        list.sort();
    }

    out.push_str(
        "<table id=\"items\" class=\"items blocks\">\n<thead><tr><th>Product block</th><th>Tag</th>\
         <th>Status</th><th>Resource types</th><th>Depends on</th><th>Used by</th></tr></thead>\n<tbody>\n",
    );
    let empty = Vec::new();
    for b in &catalog.blocks {
        let deps = depends_on.get(&b.product_block_id).unwrap_or(&empty);
        let users = used_by.get(&b.product_block_id).unwrap_or(&empty);
        let products = products_of.get(&b.product_block_id).unwrap_or(&empty);
        let mut words = vec![b.name.as_str(), b.description.as_str()];
        words.extend(b.tag.as_deref());
        words.extend(b.status.as_deref());
        words.extend(b.resource_types.iter().map(|r| r.resource_type.as_str()));
        words.extend(deps.iter().chain(users).chain(products).map(|(n, _)| *n));
        let _ = write!(
            out,
            "<tr id=\"block-{id}\" data-filter=\"{filter}\">\
             <td class=\"main\"><span class=\"name\">{name}</span> <a class=\"json\" href=\"../api/product_blocks/{id}\" title=\"This block as JSON\">JSON</a>\
             <div class=\"desc\">{desc}</div></td><td>",
            id = b.product_block_id,
            filter = Esc(&filter_text(words)),
            name = Esc(&b.name),
            desc = Esc(&b.description),
        );
        match &b.tag {
            Some(tag) => {
                let _ = write!(out, "<code class=\"tag\">{}</code>", Esc(tag));
            }
            None => none(out),
        }
        out.push_str("</td><td>");
        status(out, b.status.as_deref());
        out.push_str("</td><td>");
        if b.resource_types.is_empty() {
            none(out);
        }
        for r in &b.resource_types {
            let _ = write!(
                out,
                "<a class=\"chip rt\" href=\"resource_types#rt-{id}\" title=\"resource type {name}\">{name}</a>",
                id = r.resource_type_id,
                name = Esc(&r.resource_type)
            );
        }
        out.push_str("</td><td>");
        if deps.is_empty() {
            none(out);
        }
        for (name, id) in deps {
            block_link(out, *id, name);
        }
        out.push_str("</td><td>");
        if users.is_empty() && products.is_empty() {
            none(out);
        }
        for (name, id) in users {
            block_link(out, *id, name);
        }
        for (name, id) in products {
            let _ = write!(
                out,
                "<a class=\"chip product\" href=\"products#product-{id}\" title=\"product {name}\">{name}</a>",
                name = Esc(name)
            );
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn resource_types_table(out: &mut String, catalog: &Catalog) {
    let mut blocks_of: BTreeMap<Uuid, Vec<(&str, Uuid)>> = BTreeMap::new();
    for b in &catalog.blocks {
        for r in &b.resource_types {
            blocks_of
                .entry(r.resource_type_id)
                .or_default()
                .push((b.name.as_str(), b.product_block_id));
        }
    }
    out.push_str(
        "<table id=\"items\" class=\"items rts\">\n<thead><tr><th>Resource type</th>\
         <th>Description</th><th>Used by blocks</th></tr></thead>\n<tbody>\n",
    );
    let empty = Vec::new();
    for r in &catalog.resource_types {
        let blocks = blocks_of.get(&r.resource_type_id).unwrap_or(&empty);
        let mut words = vec![r.resource_type.as_str()];
        words.extend(r.description.as_deref());
        words.extend(blocks.iter().map(|(n, _)| *n));
        let _ = write!(
            out,
            "<tr id=\"rt-{id}\" data-filter=\"{filter}\">\
             <td class=\"main\"><code class=\"name\">{name}</code> <a class=\"json\" href=\"../api/resource_types/{id}\" title=\"This resource type as JSON\">JSON</a></td><td>",
            id = r.resource_type_id,
            filter = Esc(&filter_text(words)),
            name = Esc(&r.resource_type),
        );
        match &r.description {
            Some(d) => {
                let _ = write!(out, "{}", Esc(d));
            }
            None => none(out),
        }
        out.push_str("</td><td>");
        if blocks.is_empty() {
            none(out);
        }
        for (name, id) in blocks {
            block_link(out, *id, name);
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            Esc(r#"<b>"Tom" & 'Jerry'</b>"#).to_string(),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        assert_eq!(Esc("plain ünïcode").to_string(), "plain ünïcode");
        assert_eq!(Esc("").to_string(), "");
    }
}
