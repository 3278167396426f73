import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import type { User } from '../types/chat';
import AdminPage from './AdminPage';
import type { AdminApi, AdminUser, AuditEntry, FeedbackEntry, Rating, UsageQuery, UsageReport } from './adminApi';

const OPERATOR = { id: 'ops-1', guest: false, email: 'ops@example.com', admin: true, tier: 'admin' } as User;
const ZERO = { input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, answers: 0, refusals: 0, tool_calls: 0 };

function person(id: string, email: string, disabled = false): AdminUser {
  return {
    id,
    email,
    display_name: null,
    guest: false,
    sso: false,
    tier: 'member',
    admin: false,
    created_at: '2026-12-01T10:00:00Z',
    last_seen_at: null,
    disabled,
    disabled_at: disabled ? '2026-12-02T10:00:00Z' : null,
  };
}

function vote(id: string, rating: Rating, more: Partial<FeedbackEntry> = {}): FeedbackEntry {
  return {
    id,
    at: '2026-12-06T09:00:00Z',
    rating,
    reason: null,
    comment: null,
    model: 'chat',
    user_id: 'u-ada',
    email: 'ada@example.com',
    display_name: null,
    conversation_id: 'c-1',
    message_id: `m-${id}`,
    question: null,
    answer: null,
    ...more,
  };
}

/** The admin routes as a small in-memory server: usage of two users on two models, users, the audit log, three
 * votes (two a page; the question and answer only when `contentVisible`). */
function fakeAdmin({ contentVisible = false } = {}) {
  const users = [
    person('u-ada', 'ada@example.com'),
    person('u-bo', 'bo@example.com'),
    person(OPERATOR.id, 'ops@example.com'),
  ];
  const audit: AuditEntry[] = [];
  const queries: UsageQuery[] = [];
  const usage = {
    ada: {
      ...ZERO,
      user_id: 'u-ada',
      user: 'ada@example.com',
      day: null,
      model: null,
      input_tokens: 1200,
      output_tokens: 300,
      answers: 3,
    },
    bo: {
      ...ZERO,
      user_id: 'u-bo',
      user: 'bo@example.com',
      day: null,
      model: null,
      input_tokens: 400,
      output_tokens: 90,
      answers: 1,
      refusals: 2,
    },
  };
  const votes = [
    vote('v-1', 'down', { reason: 'inaccurate', comment: 'It said 2+2=5.', question: 'What is 2+2?', answer: '5' }),
    vote('v-2', 'up', { reason: 'helpful', email: null, display_name: 'Bo Berg', model: 'other' }),
    vote('v-3', 'up', { question: 'Hello?', answer: 'Hi!' }),
  ];
  const ratings: (Rating | null)[] = [];
  const api: AdminApi = {
    usage: (query) => {
      queries.push(query);
      const rows =
        query.group === 'model'
          ? [
              { ...ZERO, user_id: null, user: null, day: null, model: 'chat', input_tokens: 1000, answers: 2 },
              { ...ZERO, user_id: null, user: null, day: null, model: 'other', input_tokens: 600, answers: 2 },
            ]
          : [usage.ada, usage.bo];
      const report: UsageReport = {
        group: query.group,
        from: query.from,
        to: query.to,
        rows,
        totals: { ...ZERO, input_tokens: 1600, output_tokens: 390, answers: 4, refusals: 2 },
        truncated: false,
      };
      return Promise.resolve(report);
    },
    usageCsv: (query) => {
      queries.push(query);
      audit.unshift(entry('usage.export', null));
      return Promise.resolve({ blob: new Blob(['user_id,user\r\n']), name: 'usage-user.csv' });
    },
    users: (search) =>
      Promise.resolve({
        items: users.filter((user) => (user.email ?? user.display_name ?? '').includes(search)),
        next_cursor: null,
      }),
    setDisabled: (id, disabled) => {
      const index = users.findIndex((each) => each.id === id);
      const user = users[index];
      if (user) users[index] = { ...user, disabled }; // a new object, as a server's answer would be
      audit.unshift(entry(disabled ? 'user.disable' : 'user.enable', user?.email ?? null));
      return Promise.resolve();
    },
    audit: () => Promise.resolve({ items: [...audit], next_cursor: null }),
    feedback: (rating, cursor) => {
      ratings.push(rating);
      const matching = votes
        .filter((each) => rating === null || each.rating === rating)
        .map((each) => (contentVisible ? each : { ...each, question: null, answer: null }));
      const start = cursor ? Number(cursor) : 0;
      const next = start + 2 < matching.length ? String(start + 2) : null;
      return Promise.resolve({
        items: matching.slice(start, start + 2),
        next_cursor: next,
        content_visible: contentVisible,
      });
    },
    feedbackCsv: () => {
      audit.unshift(entry('feedback.export', null));
      return Promise.resolve({ blob: new Blob(['updated_at,rating\r\n']), name: 'feedback-1.csv' });
    },
  };
  return { api, users, audit, queries, ratings };
}

let entries = 0;
function entry(action: string, target: string | null): AuditEntry {
  return {
    id: `a-${String(++entries)}`,
    at: '2026-12-06T09:00:00Z',
    actor_id: OPERATOR.id,
    actor: 'ops@example.com',
    action,
    target_id: target ? 'u' : null,
    target,
    detail: null,
  };
}

const unusedFetch = () => Promise.reject(new Error('the fake admin api is given'));
const usagePart = () => within(screen.getByRole('region', { name: 'Usage' }));
const usersPart = () => within(screen.getByRole('region', { name: 'Users' }));
const feedbackPart = () => within(screen.getByRole('region', { name: 'Feedback' }));
const feedbackRows = () =>
  feedbackPart()
    .getAllByRole('row')
    .slice(1)
    .map((row) =>
      within(row)
        .getAllByRole('cell')
        .map((cell) => cell.textContent),
    );

describe('the admin page', () => {
  it('tells anyone but an operator that it is not for them, and reads nothing', () => {
    const { api, queries } = fakeAdmin();
    render(<AdminPage user={{ ...OPERATOR, admin: false }} fetch={unusedFetch} api={api} />);
    expect(screen.getByRole('heading', { name: 'Not allowed' })).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(queries).toEqual([]);
  });

  it('shows the usage of each user with totals, and groups it by model on request', async () => {
    const { api, queries } = fakeAdmin();
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    const ada = await usagePart().findByRole('rowheader', { name: 'ada@example.com' });
    const cells = within(ada.closest('tr') as HTMLElement).getAllByRole('cell');
    expect(cells.map((cell) => cell.textContent)).toEqual(['1,200', '300', '0', '3', '0', '0']);
    expect(screen.getByRole('columnheader', { name: 'Refusals' })).toBeInTheDocument();
    const total = usagePart().getByRole('rowheader', { name: 'Total' }).closest('tr') as HTMLElement;
    expect(within(total).getAllByRole('cell')[0]).toHaveTextContent('1,600');
    expect(queries[0]).toMatchObject({ group: 'user' });
    expect(queries[0]?.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    await userEvent.setup().selectOptions(screen.getByLabelText('Group by'), 'model');
    expect(await usagePart().findByRole('rowheader', { name: 'other' })).toBeInTheDocument();
    expect(usagePart().getByRole('columnheader', { name: 'Model' })).toBeInTheDocument();
  });

  it('reads the usage again at Show, with the filters unchanged', async () => {
    const { api, queries } = fakeAdmin();
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    await usagePart().findByRole('rowheader', { name: 'ada@example.com' });
    await userEvent.setup().click(usagePart().getByRole('button', { name: 'Show' }));
    await waitFor(() => {
      expect(queries).toHaveLength(2);
    });
    expect(queries[1]).toEqual(queries[0]);
  });

  it('takes a date range and exports the CSV through the api (with the token), as a download', async () => {
    const { api, queries } = fakeAdmin();
    const created = vi.fn(() => 'blob:usage');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    await usagePart().findByRole('rowheader', { name: 'ada@example.com' });
    const user = userEvent.setup();
    const from = screen.getByLabelText('From');
    await user.clear(from);
    await user.type(from, '2026-11-01');
    await user.click(screen.getByRole('button', { name: 'Show' }));
    await waitFor(() => {
      expect(queries.at(-1)?.from).toBe('2026-11-01');
    });
    await user.click(usagePart().getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => {
      expect(clicked).toHaveBeenCalled();
    });
    expect(queries.at(-1)?.from).toBe('2026-11-01');
    expect(created).toHaveBeenCalledWith(expect.any(Blob));
  });

  it('disables a user after a confirmation, enables them again, and lists both in the audit log', async () => {
    const { api, users } = fakeAdmin();
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Disable bo@example.com' }));
    expect(users[1]?.disabled).toBe(false); // not before the confirmation
    expect(screen.getByText(/Disable bo@example.com\? They are signed out at once/)).toBeInTheDocument();
    const yes = screen.getByRole('button', { name: 'Yes' });
    expect(yes).toHaveFocus();
    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(users[1]?.disabled).toBe(true);
    });
    const row = usersPart().getByRole('rowheader', { name: 'bo@example.com' }).closest('tr') as HTMLElement;
    expect(within(row).getByText('Disabled')).toBeInTheDocument();
    expect(await screen.findByText('Disabled a user')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Enable bo@example.com' }));
    await user.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => {
      expect(users[1]?.disabled).toBe(false);
    });
    expect(await screen.findByText('Enabled a user')).toBeInTheDocument();
  });

  it('offers no way to disable the operator themself, and a cancel that changes nothing', async () => {
    const { api, users } = fakeAdmin();
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    const self = await usersPart().findByRole('rowheader', { name: 'ops@example.com (you)' });
    expect(within(self.closest('tr') as HTMLElement).queryByRole('button')).not.toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Disable ada@example.com' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(users[0]?.disabled).toBe(false);
    expect(screen.getByRole('button', { name: 'Disable ada@example.com' })).toBeInTheDocument();
  });

  it('finds users by a part of their email', async () => {
    const { api } = fakeAdmin();
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    await usersPart().findByRole('rowheader', { name: 'bo@example.com' });
    const user = userEvent.setup();
    await user.type(screen.getByRole('searchbox', { name: 'Search users' }), 'ada{Enter}');
    await waitFor(() => {
      expect(usersPart().queryByRole('rowheader', { name: 'bo@example.com' })).not.toBeInTheDocument();
    });
    expect(usersPart().getByRole('rowheader', { name: 'ada@example.com' })).toBeInTheDocument();
  });

  it("tells a password account from the provider's account with the same address", async () => {
    const { api, users } = fakeAdmin();
    users.push({ ...person('u-ada-sso', 'ada@example.com'), email: null, display_name: 'ada@example.com', sso: true });
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    const ada = await usersPart().findAllByRole('rowheader', { name: 'ada@example.com' });
    const signIn = ada.map(
      (header) => within(header.closest('tr') as HTMLElement).getAllByRole('cell')[0]?.textContent,
    );
    expect(signIn.sort()).toEqual(['Organisation', 'Password']);
  });

  it('lists the votes without their question and answer, filters them by rating, and shows more', async () => {
    const { api, ratings } = fakeAdmin();
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    expect(await feedbackPart().findByRole('img', { name: 'Thumbs down' })).toBeInTheDocument();
    expect(feedbackPart().getByRole('img', { name: 'Thumbs up' })).toBeInTheDocument();
    expect(feedbackRows().map((cells) => cells.slice(2))).toEqual([
      ['Inaccurate', 'It said 2+2=5.', 'chat', 'ada@example.com'],
      ['Helpful', '', 'other', 'Bo Berg'],
    ]);
    expect(feedbackPart().queryByRole('columnheader', { name: 'Question' })).not.toBeInTheDocument();
    expect(feedbackPart().queryByText('What is 2+2?')).not.toBeInTheDocument();
    expect(feedbackPart().getByText(/Questions and answers are not shown/)).toBeInTheDocument();

    const user = userEvent.setup();
    await user.click(feedbackPart().getByRole('button', { name: 'Show more' }));
    await waitFor(() => {
      expect(feedbackRows()).toHaveLength(3);
    });
    expect(feedbackPart().queryByRole('button', { name: 'Show more' })).not.toBeInTheDocument();

    await user.selectOptions(feedbackPart().getByLabelText('Rating'), 'down');
    await waitFor(() => {
      expect(feedbackRows()).toHaveLength(1);
    });
    expect(feedbackPart().queryByRole('img', { name: 'Thumbs up' })).not.toBeInTheDocument();
    expect(ratings).toEqual([null, null, 'down']);
  });

  it('shows the question and answer of each vote when the api says operators may see them', async () => {
    const { api } = fakeAdmin({ contentVisible: true });
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    expect(await feedbackPart().findByRole('columnheader', { name: 'Question' })).toBeInTheDocument();
    expect(feedbackPart().getByRole('columnheader', { name: 'Answer' })).toBeInTheDocument();
    expect(feedbackRows()[0]?.slice(6)).toEqual(['What is 2+2?', '5']);
    expect(feedbackPart().queryByText(/Questions and answers are not shown/)).not.toBeInTheDocument();
  });

  it('exports the votes as CSV through the api (with the token), as a download', async () => {
    const { api, audit } = fakeAdmin();
    const created = vi.fn(() => 'blob:feedback');
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    render(<AdminPage user={OPERATOR} fetch={unusedFetch} api={api} />);
    await feedbackPart().findByRole('img', { name: 'Thumbs down' });
    await userEvent.setup().click(feedbackPart().getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => {
      expect(clicked).toHaveBeenCalled();
    });
    expect(created).toHaveBeenCalledWith(expect.any(Blob));
    expect(audit[0]?.action).toBe('feedback.export');
  });
});
