//! Answers the owner handlers build the same way.

use actix_web::HttpResponse;
use serde::Serialize;

/// 200 with a JSON array: each item as its wire view `T`.
pub(super) fn list<'a, T, S>(items: impl IntoIterator<Item = &'a S>) -> HttpResponse
where
    S: 'a,
    T: From<&'a S> + Serialize,
{
    HttpResponse::Ok().json(items.into_iter().map(T::from).collect::<Vec<_>>())
}
