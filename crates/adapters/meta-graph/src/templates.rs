//! A WABA's message templates (meta-api.md §6.4): list with paging, create, delete.

use omni_domain::WabaId;
use omni_ports::meta::{CreatedTemplate, GraphError, MessageTemplate, NewTemplate};
use reqwest::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::MetaGraphClient;

const TEMPLATE_FIELDS: &str =
    "id,name,language,status,category,components,parameter_format,rejected_reason";

#[derive(Deserialize, Default)]
#[serde(default)]
struct TemplateWire {
    id: String,
    name: String,
    language: String,
    status: String,
    category: String,
    components: Value,
    parameter_format: Option<String>,
    rejected_reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreatedWire {
    id: String,
    status: String,
    category: String,
}

impl MetaGraphClient {
    pub(crate) async fn templates(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<MessageTemplate>, GraphError> {
        let url = self.page_url(
            &format!("{}/message_templates", waba.as_str()),
            TEMPLATE_FIELDS,
        )?;
        let wires: Vec<TemplateWire> = self.paged("templates.list", token, url).await?;
        Ok(wires
            .into_iter()
            .map(|w| MessageTemplate {
                id: w.id,
                name: w.name,
                language: w.language,
                status: w.status,
                category: w.category,
                components: w.components,
                parameter_format: w.parameter_format,
                rejected_reason: w.rejected_reason,
            })
            .collect())
    }

    pub(crate) async fn template_create(
        &self,
        token: &SecretString,
        waba: &WabaId,
        t: &NewTemplate,
    ) -> Result<CreatedTemplate, GraphError> {
        let mut body = Map::new();
        body.insert("name".into(), json!(t.name));
        body.insert("language".into(), json!(t.language));
        body.insert("category".into(), json!(t.category));
        body.insert("components".into(), t.components.clone());
        if let Some(f) = &t.parameter_format {
            body.insert("parameter_format".into(), json!(f));
        }
        let url = self.url(&format!("{}/message_templates", waba.as_str()));
        let req = self.authed(Method::POST, &url, token).json(&body);
        let w: CreatedWire = self.json("templates.create", req).await?;
        Ok(CreatedTemplate {
            id: w.id,
            status: w.status,
            category: w.category,
        })
    }

    pub(crate) async fn template_delete(
        &self,
        token: &SecretString,
        waba: &WabaId,
        name: &str,
        id: Option<&str>,
    ) -> Result<(), GraphError> {
        let url = self.url(&format!("{}/message_templates", waba.as_str()));
        let mut req = self
            .authed(Method::DELETE, &url, token)
            .query(&[("name", name)]);
        if let Some(id) = id {
            req = req.query(&[("hsm_id", id)]);
        }
        self.expect_success("templates.delete", req).await
    }
}
