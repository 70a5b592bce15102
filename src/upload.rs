//! Files uploaded as a multipart form, as both faces read them (the API's `/imports`, the
//! console's 数据导入): the file part and, beside it, the form's small text fields.

use crate::service::file_import::FILE_LIMIT;
use actix_multipart::Multipart;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::Duration;

/// The longest text field read beside the file (a CSRF token, a choice).
const FIELD_LIMIT: usize = 4 * 1024;

/// What a multipart form carried.
#[derive(Debug, Default)]
pub struct Upload {
    /// The text fields, by name.
    pub fields: HashMap<String, String>,
    /// The part named `file`: its name as the browser gave it, and its bytes.
    pub file: Option<(String, Vec<u8>)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the body is not a multipart form: {0}")]
    NotMultipart(String),
    #[error("a file may have at most {FILE_LIMIT} bytes")]
    TooLarge,
    #[error("the upload stalled: nothing arrived for {} seconds", STALLED.as_secs())]
    Stalled,
    #[error("the upload took longer than {} seconds", WHOLE.as_secs())]
    TooSlow,
}

/// How long an upload may go without a byte arriving, and take as a whole: a slow phone
/// line sends 32 MiB in a few minutes, and a client that trickles or stops holds a
/// connection no longer than this.
const STALLED: Duration = Duration::from_secs(10);
const WHOLE: Duration = Duration::from_secs(300);

/// Reads every part: `file` up to [`FILE_LIMIT`], the others as text fields.
pub async fn read(multipart: Multipart) -> Result<Upload, UploadError> {
    actix_web::rt::time::timeout(WHOLE, read_parts(multipart)).await.map_err(|_| UploadError::TooSlow)?
}

/// The next item of a stream, unless it stalls.
async fn next<S: futures_util::Stream + Unpin>(stream: &mut S) -> Result<Option<S::Item>, UploadError> {
    actix_web::rt::time::timeout(STALLED, stream.next()).await.map_err(|_| UploadError::Stalled)
}

async fn read_parts(mut multipart: Multipart) -> Result<Upload, UploadError> {
    let mut upload = Upload::default();
    while let Some(part) = next(&mut multipart).await? {
        let mut part = part.map_err(|e| UploadError::NotMultipart(e.to_string()))?;
        let name = part.name().unwrap_or_default().to_owned();
        let is_file = name == "file";
        let limit = if is_file { FILE_LIMIT } else { FIELD_LIMIT };
        let mut bytes = Vec::new();
        while let Some(chunk) = next(&mut part).await? {
            let chunk = chunk.map_err(|e| UploadError::NotMultipart(format!("the upload broke off: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                return Err(UploadError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            let file_name = part.content_disposition().and_then(|d| d.get_filename()).unwrap_or_default().to_owned();
            upload.file = Some((file_name, bytes));
        } else {
            upload.fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(upload)
}
