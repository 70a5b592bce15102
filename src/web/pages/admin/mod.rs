//! 系统管理 (admins): the bureau's people with their roles and streets, the district's map
//! (district → street → park), and the integrations' API keys; each page over the same
//! use cases as the API's `/users`, `/regions` and `/api-keys`. The year's targets are
//! the bureau's to set (managers too) and live beside the cockpit (`pages::targets`);
//! the section's tabs lead there as well.

pub mod api_keys;
pub mod regions;
pub mod users;

use crate::web::page;
use actix_web::HttpResponse;

/// `/admin`: the section opens on its people (the page itself checks who may see it).
pub async fn index() -> HttpResponse {
    page::see_other("/admin/users")
}
