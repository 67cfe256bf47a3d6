from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health_returns_healthy() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


def test_preview_title_uses_internal_packages() -> None:
    response = client.get("/api/v1/titles/preview", params={"title": "Bayit", "lang": "en"})
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "title-preview"
    assert body["data"]["slug"] == "bayit"
    assert body["data"]["translation"]["text"] == "home"
