"""The settings panel: shop domain, public URL, retention and CORS origins, validated by the engine."""

from __future__ import annotations

from mechanic_kernel import Workbench
from widgets import SettingsPanel


def test_save_stores_the_fields(workbench: Workbench) -> None:
    panel = SettingsPanel(workbench)
    assert "mk-settings" in panel.widget._dom_classes
    assert panel.inputs["retention_days"].value == "15"
    panel.inputs["shop_domain"].value = "Example.myshopify.com"
    panel.inputs["public_url"].value = "https://tunnel.example.com/"
    panel.inputs["retention_days"].value = "3"
    panel.save_button.click()
    assert workbench.settings.get("shop_domain") == "example.myshopify.com"
    assert workbench.settings.get("public_url") == "https://tunnel.example.com"
    assert workbench.settings.get("retention_days") == 3
    assert panel.inputs["shop_domain"].value == "example.myshopify.com" and "saved" in panel.status.value
    webhook = workbench.webhooks.create("Example", "user/webhook/test")
    assert workbench.webhooks.url(webhook).startswith("https://tunnel.example.com/mechanic/webhooks/")

    panel.inputs["public_url"].value = ""
    panel.save()
    assert workbench.settings.get("public_url") is None


def test_an_invalid_value_is_refused_and_nothing_is_stored(workbench: Workbench) -> None:
    panel = SettingsPanel(workbench)
    assert panel.save(shop_domain="shop.example.com", retention_days="-1") is None
    assert "must not be negative" in panel.status.value
    assert workbench.settings.get("shop_domain") is None and workbench.settings.get("retention_days") == 15


def test_cors_origins_add_and_remove(workbench: Workbench) -> None:
    panel = SettingsPanel(workbench)
    panel.origin.value = "https://Shop.Example.com/"
    panel.add_button.click()
    assert workbench.settings.cors_list() == ["https://shop.example.com"]
    assert (
        panel.origin.value == "" and "https://shop.example.com" in panel.origins.children[0].children[0].value
    )
    assert panel.cors_add("not an origin") is None and "invalid CORS origin" in panel.status.value

    [remove] = [
        child for child in panel.origins.children[0].children if "mk-cors-remove" in child._dom_classes
    ]
    remove.click()
    assert workbench.settings.cors_list() == []
    assert "No extra origins" in panel.origins.children[0].value
    assert (
        panel.cors_remove("https://shop.example.com") is None and "not on the CORS list" in panel.status.value
    )
