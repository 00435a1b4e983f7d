from dataclasses import dataclass


@dataclass
class User:
    id: int
    email: str


class UserService:
    def __init__(self, db):
        self.db = db

    def get(self, user_id: int) -> User:
        row = self.db.fetch_one("select * from users where id=?", user_id)
        return User(row["id"], row["email"])

    def discount_for(self, user: User, total: float) -> float:
        # move this into billing.py and update every caller AI!
        return total * 0.1 if user.email.endswith("@staff.example") else 0.0
