-- Headless test of the plugin's asks: a worker's question is put to the person with
-- vim.ui.select (options) or vim.ui.input (free text), replaced here by functions that answer
-- as a person would; the answer reaches the worker. Against the real `bosun serve` and a
-- scripted `bosun mock-provider` (run by Tests/python/test_nvim_plugin.py).

local support = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':h') .. '/support.lua')
local check, wait_for, noted = support.check, support.wait_for, support.noted

-- What the person does at the next prompt: the function picks an item (or nil to dismiss).
local selects, inputs = {}, {}
local pick, type_in
vim.ui.select = function(items, opts, on_choice)
  table.insert(selects, { items = items, opts = opts })
  on_choice(pick(items))
end
vim.ui.input = function(opts, on_confirm)
  table.insert(inputs, opts)
  on_confirm(type_in)
end

local function labels(items)
  return vim.tbl_map(function(item) return item.label end, items)
end

support.run(function()
  local bosun = require('bosun')
  local client = require('bosun.client')
  bosun.setup({ cmd = vim.env.BOSUN_BIN, config = vim.env.BOSUN_TEST_CONFIG, db = vim.env.BOSUN_TEST_DB,
    root_dir = vim.env.BOSUN_TEST_WORKSPACE, browser = false })

  -- Spawns a worker of `role` (default the asker) for `task`; returns its id once it is known.
  local function asker(task, role)
    local before = client.state.last_worker
    bosun.spawn({ role = role or 'asker', task = task })
    wait_for('the worker for "' .. task .. '"', function()
      return client.state.last_worker ~= before and client.state.last_worker ~= nil
    end)
    return client.state.last_worker
  end

  local function answer_of(id)
    local answered
    client.request('trace', { workerId = id }, function(result)
      for _, event in ipairs(result.events) do
        if event.kind == 'answered' then
          answered = event.data
        end
      end
    end)
    wait_for('the trace of ' .. id, function() return answered ~= nil end)
    return answered
  end

  -- A question with options: vim.ui.select offers them, and a way to decline.
  pick = function(items) return items[2] end
  local id = asker('Pick a database')
  wait_for('the worker to succeed', function() return client.state.workers[id].state == 'succeeded' end)
  check(#selects == 1, 'one select prompt: ' .. #selects)
  check(selects[1].opts.prompt == 'bosun ' .. id .. ' asks: Which database?', 'the prompt: ' .. selects[1].opts.prompt)
  check(vim.deep_equal(labels(selects[1].items), { 'postgres', 'sqlite', 'Decline: let the worker decide' }),
    'the choices: ' .. vim.inspect(labels(selects[1].items)))
  local answer = answer_of(id)
  check(answer.text == 'sqlite' and answer.answeredBy == 'client', 'the worker got the choice: ' .. vim.inspect(answer))
  check(noted('^bosun: answered a_%w+ of ' .. id), 'the answer is reported')

  -- A free question: vim.ui.input.
  type_in = 'bosun'
  local named = asker('Name the project')
  wait_for('the named worker to succeed', function() return client.state.workers[named].state == 'succeeded' end)
  check(#inputs == 1 and inputs[1].prompt:match('^bosun ' .. named .. ' asks: What is the project called%?'),
    'the input prompt: ' .. vim.inspect(inputs))
  check(answer_of(named).text == 'bosun', 'the typed answer reached the worker')

  -- Dismissed, the ask stays pending and the worker waiting; :BosunAnswer asks again.
  pick = function() return nil end
  local later = asker('Pick a database again')
  wait_for('the dismissed prompt', function() return noted('left unanswered: :BosunAnswer a_%w+') end)
  wait_for('the waiting state', function() return client.state.workers[later].state == 'waiting' end)
  check(bosun.statusline():match('1 waiting'), 'the statusline counts it: ' .. bosun.statusline())
  local ask_id = next(client.state.asks)
  check(ask_id and vim.tbl_contains(vim.fn.getcompletion('BosunAnswer ', 'cmdline'), ask_id), 'ask ids complete')
  pick = function(items) return items[#items] end -- decline
  vim.cmd('BosunAnswer ' .. ask_id)
  wait_for('the declined worker to succeed', function() return client.state.workers[later].state == 'succeeded' end)
  check(answer_of(later).decision == 'deny', 'declining answers deny')
  check(next(client.state.asks) == nil, 'no ask left pending')

  -- An ask answered elsewhere while its prompt is open is not answered twice.
  local open_prompt
  vim.ui.select = function(items, _, on_choice)
    open_prompt = function() on_choice(items[1]) end
  end
  local elsewhere = asker('Pick a database once more')
  wait_for('the open prompt', function() return open_prompt ~= nil end)
  local other = next(client.state.asks)
  client.request('answer', { askId = other, text = 'sqlite' }, function() end)
  wait_for('the answered event', function() return client.state.asks[other] == nil end)
  open_prompt()
  wait_for('the worker answered elsewhere to succeed', function()
    return client.state.workers[elsewhere].state == 'succeeded'
  end)
  check(not noted('answer ' .. other .. ' failed'), 'the late choice was not sent')

  -- A permission: the decisions the ask offers; allowing it runs the call.
  vim.ui.select = function(items, opts, on_choice)
    table.insert(selects, { items = items, opts = opts })
    on_choice(items[1])
  end
  local prompts = #selects
  local guarded = asker('Greet', 'guarded')
  wait_for('the guarded worker to succeed', function() return client.state.workers[guarded].state == 'succeeded' end)
  check(#selects == prompts + 1, 'one more select prompt')
  local permission = selects[#selects]
  check(permission.opts.prompt:match('^bosun ' .. guarded .. ' asks %[run_command%]: '), 'the prompt: ' .. permission.opts.prompt)
  check(vim.deep_equal(labels(permission.items), { 'Allow once', 'Allow for the rest of the session', 'Deny' }),
    'the decisions: ' .. vim.inspect(labels(permission.items)))
  check(answer_of(guarded).decision == 'allow', 'allowed')

  bosun.stop()
  wait_for('bosun serve to exit', function() return not client.state.ready and not client.state.starting end)
end)
