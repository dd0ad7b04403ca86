//! `/api/owner/menu`: the store's menu items, their variants and prices.

use actix_web::{HttpResponse, web};
use omni_domain::MenuItem;
use omni_usecases::MenuItemInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::wire::{Amount, yes};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::json::JsonBody;
use crate::http::owner::auth::OwnerCtx;
use crate::http::owner::dto::ErrorBody;
use crate::http::owner::params::{MenuItemPath, StoreQuery};
use crate::http::owner::reply;

/// A priced variant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VariantBody {
    /// Name ("Large").
    pub name: String,
    /// Price in paisa.
    pub price_paisa: i64,
}

/// A menu item to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MenuItemBody {
    /// 1 to 80 characters.
    pub name: String,
    /// Up to 300 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Up to 60 characters ("Burgers").
    #[serde(default)]
    pub category: Option<String>,
    /// Price in paisa (Rs 650 = 65000); with variants, ignored (the first variant's is used).
    pub price_paisa: i64,
    /// Up to 10 variants with their own prices.
    #[serde(default)]
    pub variants: Vec<VariantBody>,
    /// Can be ordered now (default true).
    #[serde(default = "yes")]
    pub available: bool,
}

/// A menu item.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuItemResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price.
    pub price: Amount,
    /// Variants.
    pub variants: Vec<VariantBody>,
    /// Can be ordered now.
    pub available: bool,
}

impl From<&MenuItem> for MenuItemResponse {
    fn from(m: &MenuItem) -> Self {
        Self {
            id: m.id.to_string(),
            name: m.name.clone(),
            description: m.description.clone(),
            category: m.category.clone(),
            price: m.price.into(),
            variants: m
                .variants
                .iter()
                .map(|v| VariantBody {
                    name: v.name.clone(),
                    price_paisa: v.price.minor(),
                })
                .collect(),
            available: m.available,
        }
    }
}

/// The use case's input for a menu item body.
fn menu_input(b: &MenuItemBody) -> MenuItemInput {
    MenuItemInput {
        name: b.name.clone(),
        description: b.description.clone(),
        category: b.category.clone(),
        price_paisa: b.price_paisa,
        variants: b
            .variants
            .iter()
            .map(|v| (v.name.clone(), v.price_paisa))
            .collect(),
        available: b.available,
    }
}

/// `GET /api/owner/menu`.
#[utoipa::path(get, path = "/api/owner/menu", tag = "menu",
    params(StoreQuery),
    responses((status = 200, description = "The menu by category, then name", body = [MenuItemResponse])))]
pub(in crate::http::owner) async fn menu_list(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let items = state.services.commerce.menu(ctx.store()?.id).await?;
    Ok(reply::list::<MenuItemResponse, _>(&items))
}

/// `POST /api/owner/menu`.
#[utoipa::path(post, path = "/api/owner/menu", tag = "menu",
    params(StoreQuery),
    request_body = MenuItemBody,
    responses((status = 201, description = "Created", body = MenuItemResponse),
              (status = 400, description = "`invalid_name`, `invalid_price`, `invalid_variants`, ...", body = ErrorBody)))]
pub(in crate::http::owner) async fn menu_create(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    body: JsonBody<MenuItemBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let item = state
        .services
        .commerce
        .add_menu_item(store, &menu_input(&body))
        .await?;
    Ok(HttpResponse::Created().json(MenuItemResponse::from(&item)))
}

/// `PUT /api/owner/menu/{item_id}`.
#[utoipa::path(put, path = "/api/owner/menu/{item_id}", tag = "menu",
    params(MenuItemPath, StoreQuery),
    request_body = MenuItemBody,
    responses((status = 200, description = "Replaced", body = MenuItemResponse),
              (status = 400, description = "Invalid field", body = ErrorBody)))]
pub(in crate::http::owner) async fn menu_update(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<MenuItemPath>,
    body: JsonBody<MenuItemBody>,
) -> Result<HttpResponse, ApiError> {
    let store = ctx.store()?.id;
    let body = body.parse()?;
    let id = path.id()?;
    let item = state
        .services
        .commerce
        .update_menu_item(store, id, &menu_input(&body))
        .await?;
    Ok(HttpResponse::Ok().json(MenuItemResponse::from(&item)))
}

/// `DELETE /api/owner/menu/{item_id}`.
#[utoipa::path(delete, path = "/api/owner/menu/{item_id}", tag = "menu",
    params(MenuItemPath, StoreQuery),
    responses((status = 204, description = "Deleted (orders keep their lines)")))]
pub(in crate::http::owner) async fn menu_delete(
    ctx: OwnerCtx,
    state: web::Data<AppState>,
    path: web::Path<MenuItemPath>,
) -> Result<HttpResponse, ApiError> {
    let id = path.id()?;
    state
        .services
        .commerce
        .delete_menu_item(ctx.store()?.id, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
