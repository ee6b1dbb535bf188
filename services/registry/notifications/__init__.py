"""The 消息中心: messages for the people an event needs, read in the console and sent out (issue 20)."""
