//! AccessService: issuing, listing and revoking API keys.

use tonic::{Request, Response, Status};

use super::auth::{caller, limits};
use super::convert::{access as conv, common::request_key};
use super::error::IntoStatus;
use crate::domain::Grants;
use crate::domain::ids::ApiKeyName;
use crate::proto::v1::{self, access_service_server::AccessService};

pub struct AccessApi {
    pub grants: Grants,
}

#[tonic::async_trait]
impl AccessService for AccessApi {
    async fn get_current_api_key(
        &self,
        request: Request<v1::GetCurrentApiKeyRequest>,
    ) -> Result<Response<v1::GetCurrentApiKeyResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetCurrentApiKeyRequest {} = request.into_inner();
        let key = self.grants.current_api_key(&caller).await.status()?;
        Ok(Response::new(v1::GetCurrentApiKeyResponse {
            api_key: Some(conv::output(key)),
        }))
    }

    async fn create_api_key(
        &self,
        request: Request<v1::CreateApiKeyRequest>,
    ) -> Result<Response<v1::CreateApiKeyResponse>, Status> {
        let caller = caller(&request)?;
        let limits = limits(&request)?;
        let message = request.into_inner();
        let key = request_key("CreateApiKey", &message.request_id, &message);
        let v1::CreateApiKeyRequest { api_key, request_id: _ } = message;
        let programmes = api_key.as_ref().map_or(0, |k| k.programmes.len());
        limits.items("api_key.programmes", programmes).status()?;
        let input = conv::input(api_key).status()?;
        let issued = self.grants.create_api_key(&caller, input, key).await.status()?;
        Ok(Response::new(v1::CreateApiKeyResponse {
            api_key: Some(conv::output(issued.key)),
            secret: issued.secret.unwrap_or_default(),
        }))
    }

    async fn list_api_keys(
        &self,
        request: Request<v1::ListApiKeysRequest>,
    ) -> Result<Response<v1::ListApiKeysResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListApiKeysRequest {
            page_size,
            page_token,
            filter,
        } = request.into_inner();
        let page = self
            .grants
            .list_api_keys(&caller, &filter, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListApiKeysResponse {
            api_keys: page.items.into_iter().map(conv::output).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<v1::RevokeApiKeyRequest>,
    ) -> Result<Response<v1::RevokeApiKeyResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("RevokeApiKey", &message.request_id, &message);
        let v1::RevokeApiKeyRequest { name, request_id: _ } = message;
        let name = ApiKeyName::parse(&name, "name").status()?;
        let revoked = self.grants.revoke_api_key(&caller, &name, key).await.status()?;
        Ok(Response::new(v1::RevokeApiKeyResponse {
            api_key: Some(conv::output(revoked)),
        }))
    }
}
