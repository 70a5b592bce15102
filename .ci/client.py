"""A client generated from the served OpenAPI document (openapi-python-client), used as an
integrator would: sign in, list enterprises, raise a request on one and read it back.

    python .ci/client.py BASE_URL USERNAME PASSWORD   (with the generated `peiyu_client`
                                                       on PYTHONPATH)
"""
import sys

from peiyu_client import AuthenticatedClient, Client
from peiyu_client.api.enterprises import list_enterprises
from peiyu_client.api.field_work import raise_request, read_request
from peiyu_client.api.session import login
from peiyu_client.models import Category, LoginBody, PageEnterpriseResponse, Priority, RequestBody
from peiyu_client.models import RequestResponse, TokenResponse

base, username, password = sys.argv[1:4]
# Signing in needs no token (the document says so with `security: [{}]`, which the
# generator still types as an authenticated client).
signed_in = login.sync(client=Client(base_url=base),  # type: ignore[arg-type]
                       body=LoginBody(username=username, password=password))
assert isinstance(signed_in, TokenResponse), signed_in
client = AuthenticatedClient(base_url=base, token=signed_in.access_token)
page = list_enterprises.sync(client=client, limit=5)
assert isinstance(page, PageEnterpriseResponse) and page.items, page
body = RequestBody(category=Category.FINANCE, priority=Priority.NORMAL, title="贷款贴息",
                   description="generated-client check")
raised = raise_request.sync(page.items[0].id, client=client, body=body)
assert isinstance(raised, RequestResponse) and raised.status.value == "open", raised
again = read_request.sync(raised.id, client=client)
assert isinstance(again, RequestResponse) and again.id == raised.id, again
print(f"generated client: signed in as {username}, listed {len(page.items)} enterprises, "
      f"raised and read back request {raised.id}")
