-- 限购 across a drop's groups counts what a member waits for in the other groups
-- (OrderRepo.waiting_elsewhere): found by product and member, not by walking the queue.
CREATE INDEX waitlist_by_member ON waitlist (product_id, member_id);
