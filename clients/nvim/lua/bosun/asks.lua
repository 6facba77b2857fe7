-- Workers' asks, put to the person at the editor. A worker that asks (its `ask` tool, or a
-- tool call its approval rules say to ask about) waits; each `asked` event sent to the
-- client becomes a prompt, one at a time: vim.ui.select for a permission (allow, allow
-- always, deny) or a question with options, vim.ui.input for a free question. The choice
-- goes back with `answer`. Dismissing a prompt leaves the ask pending (:BosunAnswer asks
-- again); an ask answered elsewhere (another client, `bosun answer`, `bosun top`) is dropped.
local client = require('bosun.client')

local M = {}

-- Asks waiting for the person, oldest first, and the one being prompted.
local waiting = {}
local prompting = nil

-- The decisions of a permission ask, when it does not name its own options.
local PERMISSION = {
  { id = 'allow', label = 'Allow once' },
  { id = 'allow_always', label = 'Allow for the rest of the session' },
  { id = 'deny', label = 'Deny' },
}
-- The last choice of a question with options: no answer, the worker decides itself.
local DECLINE = { id = '', label = 'Decline: let the worker decide' }

local prompt_next

local function answered(ask, params)
  params.askId = ask.askId
  client.request('answer', params, function(result)
    client.notify(string.format('answered %s of %s (%s now)', ask.askId, result.workerId, result.state))
    client.refresh()
  end, function(err)
    -- Answered meanwhile by someone else: say so, nothing is lost.
    client.notify_error('answer ' .. ask.askId, err)
  end)
end

local function finished()
  prompting = nil
  vim.schedule(prompt_next)
end

-- What the person reads: who asks, and what.
local function title(ask)
  local tool = ask.kind == 'permission' and ask.tool and (' [' .. ask.tool .. ']') or ''
  return string.format('bosun %s asks%s: %s', ask.workerId, tool, (ask.question or ''):gsub('\n', ' '))
end

local function left_pending(ask)
  client.notify(string.format('%s of %s left unanswered: :BosunAnswer %s to answer it', ask.askId, ask.workerId,
    ask.askId), vim.log.levels.WARN)
end

local function prompt(ask)
  prompting = ask.askId
  if ask.kind ~= 'permission' and not ask.options then
    return vim.ui.input({ prompt = title(ask) .. ' ' }, function(text)
      if text and vim.trim(text) ~= '' and client.state.asks[ask.askId] then
        answered(ask, { text = text })
      elseif client.state.asks[ask.askId] then
        left_pending(ask)
      end
      finished()
    end)
  end
  local choices = ask.options or PERMISSION
  if ask.kind ~= 'permission' then
    choices = vim.list_extend(vim.deepcopy(choices), { DECLINE })
  end
  vim.ui.select(choices, {
    prompt = title(ask),
    kind = 'bosun_ask',
    format_item = function(choice)
      return choice.label
    end,
  }, function(choice)
    if not client.state.asks[ask.askId] then
      -- Answered elsewhere while the prompt was open.
    elseif not choice then
      left_pending(ask)
    elseif ask.kind == 'permission' then
      answered(ask, { decision = choice.id })
    elseif choice == DECLINE then
      answered(ask, { decision = 'deny' })
    else
      answered(ask, { text = choice.id })
    end
    finished()
  end)
end

prompt_next = function()
  while prompting == nil and #waiting > 0 do
    local ask = client.state.asks[table.remove(waiting, 1)]
    if ask then
      return prompt(ask)
    end
  end
end

-- Queues a prompt for `ask` (once), unless it is already waiting or being prompted.
function M.put(ask)
  if prompting == ask.askId or vim.tbl_contains(waiting, ask.askId) then
    return
  end
  table.insert(waiting, ask.askId)
  prompt_next()
end

-- `:BosunAnswer [ask]`: prompts again for one pending ask, or for every one.
function M.answer(ask_id)
  if ask_id then
    local ask = client.state.asks[ask_id]
    if not ask then
      return client.notify(ask_id .. ' is not a pending ask of this session', vim.log.levels.WARN)
    end
    return M.put(ask)
  end
  local ids = vim.tbl_keys(client.state.asks)
  if #ids == 0 then
    return client.notify('no ask waits for an answer')
  end
  table.sort(ids)
  for _, id in ipairs(ids) do
    M.put(client.state.asks[id])
  end
end

return M
