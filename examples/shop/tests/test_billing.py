from shop.billing import total_with_discount


class FakeDB:
    def fetch_one(self, query, user_id):
        return {"id": user_id, "email": "a@staff.example"}


def test_total_with_discount():
    assert total_with_discount(FakeDB(), 1, 100.0) == 90.0
