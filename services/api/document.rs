//! DocumentService: the upload's first message is its declaration, the
//! rest its content, handed to the domain as it arrives; a download is the
//! document, then its content.

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::auth::caller;
use super::convert::{common::request_key, document as conv};
use super::error::IntoStatus;
use crate::domain::ids::{ApplicationName, DocumentName};
use crate::domain::{Error, Grants};
use crate::proto::v1::{self, document_service_server::DocumentService};

pub struct DocumentApi {
    pub grants: Grants,
}

type Download = BoxStream<'static, Result<v1::DownloadDocumentResponse, Status>>;

#[tonic::async_trait]
impl DocumentService for DocumentApi {
    async fn upload_document(
        &self,
        request: Request<Streaming<v1::UploadDocumentRequest>>,
    ) -> Result<Response<v1::UploadDocumentResponse>, Status> {
        use v1::upload_document_request::Part;
        let caller = caller(&request)?;
        let mut messages = request.into_inner();
        let first = messages.message().await?;
        let Some(v1::UploadDocumentRequest {
            part: Some(Part::Upload(upload)),
        }) = first
        else {
            return Err(Error::invalid(
                "upload",
                "the first message must carry `upload` (the document's metadata); the content follows in `chunk`s",
            ))
            .status();
        };
        let key = request_key("UploadDocument", &upload.request_id, &upload);
        let content = messages
            .map(|message| match message {
                Ok(v1::UploadDocumentRequest {
                    part: Some(Part::Chunk(chunk)),
                }) => Ok(chunk),
                Ok(_) => Err(Error::invalid(
                    "chunk",
                    "every message after the first must carry a `chunk` of content",
                )),
                Err(status) => Err(Error::invalid(
                    "chunk",
                    format!("the upload broke off: {}", status.message()),
                )),
            })
            .boxed();
        let document = self
            .grants
            .upload_document(&caller, conv::upload_in(upload), content, key)
            .await
            .status()?;
        Ok(Response::new(v1::UploadDocumentResponse {
            document: Some(conv::output(document)),
        }))
    }

    type DownloadDocumentStream = Download;

    async fn download_document(
        &self,
        request: Request<v1::DownloadDocumentRequest>,
    ) -> Result<Response<Download>, Status> {
        use v1::download_document_response::Part;
        let caller = caller(&request)?;
        let v1::DownloadDocumentRequest { name, offset } = request.into_inner();
        let name = DocumentName::parse(&name, "name").status()?;
        let (document, content) = self.grants.download_document(&caller, &name, offset).await.status()?;
        let first = futures_util::stream::once(async move {
            Ok(v1::DownloadDocumentResponse {
                part: Some(Part::Document(conv::output(document))),
            })
        });
        let chunks = content.map(|chunk| {
            chunk
                .map(|chunk| v1::DownloadDocumentResponse {
                    part: Some(Part::Chunk(chunk)),
                })
                .status()
        });
        Ok(Response::new(first.chain(chunks).boxed()))
    }

    async fn get_document(
        &self,
        request: Request<v1::GetDocumentRequest>,
    ) -> Result<Response<v1::GetDocumentResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetDocumentRequest { name } = request.into_inner();
        let name = DocumentName::parse(&name, "name").status()?;
        let document = self.grants.get_document(&caller, &name).await.status()?;
        Ok(Response::new(v1::GetDocumentResponse {
            document: Some(conv::output(document)),
        }))
    }

    async fn list_documents(
        &self,
        request: Request<v1::ListDocumentsRequest>,
    ) -> Result<Response<v1::ListDocumentsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListDocumentsRequest {
            parent,
            page_size,
            page_token,
            all_versions,
        } = request.into_inner();
        let parent = ApplicationName::parse(&parent, "parent").status()?;
        let page = self
            .grants
            .list_documents(&caller, &parent, all_versions, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListDocumentsResponse {
            documents: page.items.into_iter().map(conv::output).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn delete_document(
        &self,
        request: Request<v1::DeleteDocumentRequest>,
    ) -> Result<Response<v1::DeleteDocumentResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("DeleteDocument", &message.request_id, &message);
        let v1::DeleteDocumentRequest { name, request_id: _ } = message;
        let name = DocumentName::parse(&name, "name").status()?;
        let document = self.grants.delete_document(&caller, &name, key).await.status()?;
        Ok(Response::new(v1::DeleteDocumentResponse {
            document: Some(conv::output(document)),
        }))
    }
}
