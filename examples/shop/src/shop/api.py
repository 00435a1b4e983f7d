from shop.users import UserService


def get_user(db, user_id):
    return UserService(db).get(user_id)


def quote(db, user_id, total):
    svc = UserService(db)
    return {"total": total, "discount": svc.discount_for(svc.get(user_id), total)}
