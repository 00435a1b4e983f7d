from shop.users import UserService


def total_with_discount(db, user_id, total):
    svc = UserService(db)
    user = svc.get(user_id)
    return total - svc.discount_for(user, total)
