def test_login_page_is_chinese_by_default(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert "登录".encode() in response.data


def test_admin_logs_in_and_sees_admin_navigation(tree, make_user, auth, client):
    admin = make_user(tree["a1"], roles=["admin"])
    response = auth.login(admin)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "/admin/orgs/" in page and "/admin/audit/" in page
